using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.Rules;
using OnnxRay.Onnx.Tests.TestSupport;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Tests.Conformance;

/// <summary>
/// Gradient conformance for one libonnx-testdata model: normalise, take θ = the model's default parameter set, check
/// that the θ-rewritten graph reproduces the shipped output (through L(θ₀) = Σ r ⊙ output, rtol 1e-3), then compare
/// the engine's ∇L with float32 central differences on up to <see cref="SampledCoordinates"/> random coordinates.
/// </summary>
public static class GradientConformanceCase
{
    public const int SampledCoordinates = 20;
    public const double Tolerance = 2e-3;
    private const double RelativeStep = 1e-2;

    /// <summary>Rounding of a float32 L relative to Σ|r ⊙ y|: about √n·ε (ε = 6e-8) for the sums of a few hundred terms.</summary>
    public const double NoiseFactor = 2e-6;

    public static GradientConformanceResult Run(string name)
    {
        try
        {
            return RunUnchecked(name);
        }
        catch (UnsupportedOperatorException e)
        {
            return new GradientConformanceResult(name, GradientConformanceStatus.Fail, "unsupported: " + string.Join("; ", e.Nodes.Select(n => $"{n.OpType} ({n.Reason})")));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return new GradientConformanceResult(name, GradientConformanceStatus.Fail, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static GradientConformanceResult RunUnchecked(string name)
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(OnnxTestDataCase.Folder(name), "model.onnx")));
        var inputs = OnnxTestDataCase.ReadSet(name, "input");
        var expected = OnnxTestDataCase.ReadSet(name, "output");
        var graph = model.Proto.Graph;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var dataInputs = graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToArray();
        if (dataInputs.Length != inputs.Count)
            return new GradientConformanceResult(name, GradientConformanceStatus.Fail, $"{dataInputs.Length} graph inputs but {inputs.Count} input files");

        var output = expected[0];
        if (output.DataType is not ((int)DataType.Float or (int)DataType.Double))
            return new GradientConformanceResult(name, GradientConformanceStatus.NoParameters, $"first output has non-float type {output.DataType}");

        var data = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        for (int i = 0; i < dataInputs.Length; i++) data[dataInputs[i]] = ToNpy(inputs[i]);

        var shippedOutput = TensorData.ReadDoubles(null, output);
        var rng = new Random(StableSeed(name));
        var weights = shippedOutput.Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray();
        double expectedL = 0, magnitude = 0;
        for (int i = 0; i < weights.Length; i++) { expectedL += weights[i] * shippedOutput[i]; magnitude += Math.Abs(weights[i] * shippedOutput[i]); }

        ObjectiveSession session;
        try
        {
            session = new ObjectiveSession(model, graph.Output[0].Name, data, NpyArray.FromFloats(weights, output.Dims.ToArray()));
        }
        catch (OnnxRayException e) when (e.Message.Contains("no initializer qualifies", StringComparison.Ordinal))
        {
            return new GradientConformanceResult(name, GradientConformanceStatus.NoParameters, "no initializer qualifies as a parameter");
        }
        using (session)
            return Compare(name, session, expectedL, magnitude, rng);
    }

    private static GradientConformanceResult Compare(string name, ObjectiveSession session, double expectedL, double magnitude, Random rng)
    {
        var theta = session.InitialTheta;
        int dimension = theta.Length;
        var gradient = new float[dimension];
        double l0 = session.Evaluate(theta, gradient);

        // 1. The rewritten graph with θ as input reproduces the shipped output (weighted by r).
        double forwardError = Math.Abs(l0 - expectedL) / (magnitude + 1e-6);
        if (forwardError > 1e-3)
            return new GradientConformanceResult(name, GradientConformanceStatus.Fail,
                $"θ-rewritten forward: L(θ₀) = {l0:G6}, shipped outputs give {expectedL:G6}", dimension, 0, 0, 0, forwardError);

        // 2. Central differences on random coordinates; the step is relative to the tensor's scale.
        var coordinates = Enumerable.Range(0, dimension).OrderBy(_ => rng.Next()).Take(SampledCoordinates).ToArray();
        double gradientScale = gradient.Max(g => Math.Abs((double)g));
        // float32 evaluation of L carries rounding of order NoiseFactor·Σ|r⊙y|; it limits how small a difference we can resolve.
        double noise = NoiseFactor * (magnitude + 1);
        double worst = 0;
        int kinks = 0;
        var probe = (float[])theta.Clone();
        foreach (var j in coordinates)
        {
            var tensor = session.Layout.Tensors.First(t => j >= t.Offset && j < t.Offset + t.Length);
            double rms = Math.Sqrt(theta.AsSpan(tensor.Offset, tensor.Length).ToArray().Average(v => (double)v * v));
            double step = RelativeStep * Math.Max(Math.Max(Math.Abs(theta[j]), rms), 1e-2);
            double g = gradient[j], scale = Math.Abs(g) + 1e-3 * gradientScale;
            // Accepted: |fd − g| ≤ Tolerance·scale + noise/h (the rounding of two float32 evaluations of L over h).
            bool Accept(double fd, double h) => Math.Abs(fd - g) <= Tolerance * scale + noise / h;
            var (central, forward, backward, h) = Differences(session, probe, theta, j, step, l0);
            // Richardson extrapolation with h/2 removes the O(h²) truncation of smooth, strongly curved objectives
            // (its rounding is about 3× that of the plain quotient).
            double richardson = (4 * Differences(session, probe, theta, j, step / 2, l0).Central - central) / 3;
            double error = Math.Min(Math.Abs(central - g), Math.Abs(richardson - g)) / scale;
            if (!Accept(central, h) && !Accept(richardson, h / 3))
            {
                // A kink (ReLU, MaxPool, …) inside [θ−h, θ+h] spoils the central quotient. The one-sided quotient on the
                // side without the kink is exact for a piecewise-linear objective; try it, then a 10× smaller step.
                var candidates = new List<(double Fd, double H)> { (forward, h), (backward, h) };
                var (c2, f2, b2, h2) = Differences(session, probe, theta, j, step / 10, l0);
                candidates.AddRange([(c2, h2), (f2, h2), (b2, h2)]);
                var accepted = candidates.Where(c => Accept(c.Fd, c.H)).ToArray();
                if (accepted.Length == 0)
                    return new GradientConformanceResult(name, GradientConformanceStatus.Fail,
                        $"θ[{j}] ({tensor.Name}): engine {g:G6}, central difference {central:G6} (one-sided {forward:G6} / {backward:G6}; at h/10 {c2:G6}), relative error {error:E2}",
                        dimension, coordinates.Length, kinks, error, forwardError);
                kinks++;
                error = accepted.Min(c => Math.Abs(c.Fd - g)) / scale;
            }
            worst = Math.Max(worst, error);
        }
        string detail = kinks == 0 ? "central differences" : $"central differences; {kinks} coordinate(s) by the one-sided kink fallback";
        return new GradientConformanceResult(name, GradientConformanceStatus.Pass, detail, dimension, coordinates.Length, kinks, worst, forwardError);
    }

    private static (double Central, double Forward, double Backward, double Step) Differences(ObjectiveSession session, float[] probe, float[] theta,
        int j, double step, double l0)
    {
        // Use the step actually representable in float32.
        float plus = (float)(theta[j] + step), minus = (float)(theta[j] - step);
        probe[j] = plus;
        double lp = session.Evaluate(probe);
        probe[j] = minus;
        double lm = session.Evaluate(probe);
        probe[j] = theta[j];
        double hp = plus - theta[j], hm = theta[j] - minus;
        return ((lp - lm) / (hp + hm), (lp - l0) / hp, (l0 - lm) / hm, Math.Min(hp, hm));
    }

    private static NpyArray ToNpy(TensorProto t) => t.DataType switch
    {
        (int)DataType.Int64 => NpyArray.FromInt64s(TensorData.ReadInt64s(null, t), t.Dims.ToArray()),
        (int)DataType.Int32 => NpyArray.FromInt32s(TensorData.ReadInt32s(null, t), t.Dims.ToArray()),
        _ => NpyArray.FromFloats(TensorData.ReadFloats(null, t), t.Dims.ToArray()),
    };

    /// <summary>A seed that does not change between runs or processes (string.GetHashCode does).</summary>
    private static int StableSeed(string text) => text.Aggregate(17, (h, c) => unchecked(h * 31 + c));
}
