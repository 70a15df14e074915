using System.Runtime.InteropServices;
using OnnxRay.Abstractions;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// Binding ONNX Runtime to the caller's θ and gradient (large-D mode, forced here with a threshold of 1) must give
/// the same bits as the session's own bound-once arrays: every evaluation kind, full batch and minibatch with a
/// remainder chunk, and a second θ in fresh arrays (each call binds the memory it is given, not the previous call's).
/// </summary>
public class CallerMemoryBindingTests
{
    public static TheoryData<string, string, string, string, int> Models() => new()
    {
        // model, data, likelihood, prior, rows (B = 4 leaves a remainder of 2)
        { "boston_mlp.onnx", "boston/train.npz", "gaussian:0.5", "gaussian:1.0", 10 },
        { "gpt_tiny.onnx", "text/train.npz", "categorical", "gaussian:1.0", 10 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Caller_memory_binding_is_bit_identical_to_bound_once_buffers(string file, string dataFile, string likelihood, string prior, int rows)
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, file)));
        var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", dataFile));
        var data = DensityData.FromArrays(all.Rows(0, rows), file);
        var density = DensityOptions.Parse(likelihood, prior);
        foreach (long? batch in new long?[] { null, 4 })
        {
            OrtLogDensity Create(int threshold) => OrtLogDensity.Create(model, data, density, new OrtLogDensityOptions
            {
                BatchSize = batch, MinibatchRandom = new ChainRandom(3), BindCallerMemoryFromDimension = threshold,
            });
            using var bound = Create(int.MaxValue);
            using var direct = Create(1);
            Assert.False(bound.BindsCallerMemory);
            Assert.True(direct.BindsCallerMemory);
            Assert.Equal(batch is not null, direct.IsStochastic);

            var random = new Random(11);
            var theta0 = bound.InitialTheta;
            var theta1 = theta0.Select(t => t + 0.05f * (float)(random.NextDouble() - 0.5)).ToArray();
            foreach (var theta in new[] { theta0, theta1 })
            {
                // Several minibatch draws: both feeders start from the same seed, so they walk the same batches.
                for (var call = 0; call < 3; call++)
                    AssertSameBits(Evaluate(bound, theta, d => d.Evaluate), Evaluate(direct, theta, d => d.Evaluate), $"{file} B={batch} Evaluate #{call}");
                AssertSameBits(Evaluate(bound, theta, d => d.EvaluateExact), Evaluate(direct, theta, d => d.EvaluateExact), $"{file} B={batch} EvaluateExact");
                Assert.Equal(BitConverter.DoubleToInt64Bits(bound.EvaluateValue((float[])theta.Clone())),
                    BitConverter.DoubleToInt64Bits(direct.EvaluateValue((float[])theta.Clone())));
            }
        }
    }

    private delegate double Evaluation(ReadOnlySpan<float> theta, Span<float> gradient);

    /// <summary>Evaluates on a fresh copy of θ into a fresh gradient (new addresses on every call).</summary>
    private static (double Value, float[] Gradient) Evaluate(OrtLogDensity density, float[] theta, Func<OrtLogDensity, Evaluation> kind)
    {
        var gradient = new float[density.Dimension];
        gradient.AsSpan().Fill(float.NaN); // a gradient entry the run did not write would show up
        var value = kind(density)((float[])theta.Clone(), gradient);
        return (value, gradient);
    }

    private static void AssertSameBits((double Value, float[] Gradient) expected, (double Value, float[] Gradient) actual, string what)
    {
        Assert.True(double.IsFinite(expected.Value), $"{what}: log p = {expected.Value}");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Value), BitConverter.DoubleToInt64Bits(actual.Value));
        Assert.True(expected.Gradient.Any(g => g != 0f), $"{what}: zero gradient");
        var mismatch = MemoryMarshal.Cast<float, int>(expected.Gradient).SequenceCompareTo(MemoryMarshal.Cast<float, int>(actual.Gradient));
        Assert.True(mismatch == 0, $"{what}: gradients differ in their bits");
    }
}
