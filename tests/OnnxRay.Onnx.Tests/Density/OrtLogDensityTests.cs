using OnnxRay.Abstractions;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

public class OrtLogDensityTests
{
    private static OnnxModel Boston() => ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx")));

    private static DensityData BostonRows(int n)
    {
        var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"));
        return DensityData.FromArrays(all.Rows(0, n), "boston");
    }

    [Fact]
    public void Exact_evaluation_in_chunks_with_remainder_equals_full_batch()
    {
        var model = Boston();
        var options = DensityOptions.Parse("gaussian:0.5", "gaussian:1.0");
        using var full = OrtLogDensity.Create(model, BostonRows(50), options);
        using var chunked = OrtLogDensity.Create(model, BostonRows(50), options, new OrtLogDensityOptions { BatchSize = 16, MinibatchRandom = new ChainRandom(1) });
        Assert.False(full.IsStochastic);
        Assert.True(chunked.IsStochastic);
        var theta = full.InitialTheta;
        var g1 = new float[full.Dimension];
        var g2 = new float[full.Dimension];
        var v1 = full.EvaluateExact(theta, g1);
        var v2 = chunked.EvaluateExact(theta, g2);
        Assert.Equal(v1, v2, Math.Abs(v1) * 1e-5);
        Assert.True(VectorMath.Norm(g1.Zip(g2, (a, b) => a - b).ToArray()) <= 1e-4 * VectorMath.Norm(g1));
        Assert.Equal(v1, chunked.EvaluateValue(theta), Math.Abs(v1) * 1e-5);
        Assert.Equal(v1, full.EvaluateValue(theta), Math.Abs(v1) * 1e-5);
    }

    [Fact]
    public void Minibatch_scales_likelihood_by_N_over_B_and_adds_prior_once()
    {
        var model = Boston();
        var options = DensityOptions.Parse("gaussian:0.5", "gaussian:1.0");
        var data = BostonRows(64);
        using var minibatch = OrtLogDensity.Create(model, data, options, new OrtLogDensityOptions { BatchSize = 16, MinibatchRandom = new ChainRandom(7) });
        var theta = minibatch.InitialTheta;
        var value = minibatch.Evaluate(theta, new float[minibatch.Dimension]);

        // The same batch, as its own full-batch data set: likelihood scale 1.
        var indices = new MinibatchFeeder(64, 16, new ChainRandom(7)).Next().ToArray();
        var prepared = data.Prepare(model, options.Likelihood);
        var rows = prepared.Arrays.ToDictionary(kv => kv.Key, kv =>
        {
            var row = (int)DensityData.RowSize(kv.Value);
            var copy = Array.CreateInstance(kv.Value.Data.GetType().GetElementType()!, indices.Length * row);
            for (var i = 0; i < indices.Length; i++) Array.Copy(kv.Value.Data, indices[i] * row, copy, i * row, row);
            return new NpyArray(kv.Value.Dtype, [indices.Length, .. kv.Value.Shape.Skip(1)], copy);
        });
        using var batchOnly = OrtLogDensity.Create(model, DensityData.FromArrays(rows), options);
        var logPrior = PriorSpec.Parse("gaussian:1.0").LogDensity(minibatch.Layout, theta);
        var batchLogLik = batchOnly.EvaluateValue(theta) - logPrior;
        Assert.Equal(64.0 / 16 * batchLogLik + logPrior, value, Math.Abs(value) * 1e-5);
    }

    [Fact]
    public void Feeder_is_deterministic_covers_each_epoch_and_restores()
    {
        var a = new MinibatchFeeder(10, 3, new ChainRandom(42));
        var b = new MinibatchFeeder(10, 3, new ChainRandom(42));
        var epoch = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var batch = a.Next().ToArray();
            Assert.Equal(batch, b.Next().ToArray());
            epoch.AddRange(batch);
        }
        Assert.Equal(9, epoch.Distinct().Count());
        Assert.All(epoch, i => Assert.InRange(i, 0, 9));

        var state = new MemoryStream();
        a.SaveState(new BinaryWriter(state));
        var next = Enumerable.Range(0, 5).Select(_ => a.Next().ToArray()).ToArray();
        Assert.Equal(3, a.Epoch);
        var restored = new MinibatchFeeder(10, 3, new ChainRandom(999));
        state.Position = 0;
        restored.RestoreState(new BinaryReader(state));
        foreach (var expected in next) Assert.Equal(expected, restored.Next().ToArray());
        var other = new MinibatchFeeder(10, 3, new ChainRandom(43));
        Assert.NotEqual(new MinibatchFeeder(10, 3, new ChainRandom(42)).Next().ToArray(), other.Next().ToArray());
    }

    [Fact]
    public void Density_checkpoint_restores_the_batch_sequence()
    {
        var model = Boston();
        var options = DensityOptions.Parse("gaussian:0.5", "none");
        using var density = OrtLogDensity.Create(model, BostonRows(40), options, new OrtLogDensityOptions { BatchSize = 8, MinibatchRandom = new ChainRandom(3) });
        var theta = density.InitialTheta;
        var g = new float[density.Dimension];
        density.Evaluate(theta, g);
        var state = new MemoryStream();
        density.SaveState(new BinaryWriter(state));
        var expected = Enumerable.Range(0, 7).Select(_ => density.Evaluate(theta, g)).ToArray();
        state.Position = 0;
        density.RestoreState(new BinaryReader(state));
        Assert.Equal(expected, Enumerable.Range(0, 7).Select(_ => density.Evaluate(theta, g)).ToArray());
        Assert.True(expected.Distinct().Count() > 1, "different minibatches should give different values");
    }

    [Fact]
    public void Groups_are_one_per_tensor_and_cover_theta()
    {
        using var density = OrtLogDensity.Create(Boston(), BostonRows(20), DensityOptions.Parse("gaussian:0.5"));
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight"], density.Groups.Select(g => g.Name));
        Assert.Equal(density.Dimension, density.Groups.Sum(g => g.Length));
        Assert.Equal(750, density.Dimension);
    }

    [Fact]
    public void Missing_and_mismatched_arrays_are_named()
    {
        var model = Boston();
        var x = NpyArray.FromFloats(new float[20 * 13], 20, 13);
        var y = NpyArray.FromFloats(new float[20], 20);
        var missing = Assert.Throws<DataMismatchException>(() => OrtLogDensity.Create(model, DensityData.FromArrays(new Dictionary<string, NpyArray> { ["target"] = y }), DensityOptions.Parse("gaussian:1")));
        Assert.Equal("x", missing.ArrayName);
        var wrongShape = Assert.Throws<DataMismatchException>(() => OrtLogDensity.Create(model,
            DensityData.FromArrays(new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromFloats(new float[20 * 12], 20, 12), ["target"] = y }), DensityOptions.Parse("gaussian:1")));
        Assert.Contains("[20,12]", wrongShape.Message);
        var noTarget = Assert.Throws<DataMismatchException>(() => OrtLogDensity.Create(model, DensityData.FromArrays(new Dictionary<string, NpyArray> { ["x"] = x }), DensityOptions.Parse("gaussian:1")));
        Assert.Equal("target", noTarget.ArrayName);
        var floatLabels = Assert.Throws<DataMismatchException>(() => OrtLogDensity.Create(model, DensityData.FromArrays(new Dictionary<string, NpyArray> { ["x"] = x, ["target"] = y }), DensityOptions.Parse("categorical")));
        Assert.Contains("<i8", floatLabels.Message);
        var rows = Assert.Throws<DataMismatchException>(() => DensityData.FromArrays(new Dictionary<string, NpyArray> { ["x"] = x, ["target"] = NpyArray.FromFloats(new float[19], 19) }));
        Assert.Contains("19", rows.Message);
    }

    [Fact]
    public void Non_finite_gradient_names_the_tensor()
    {
        using var density = OrtLogDensity.Create(Boston(), BostonRows(20), DensityOptions.Parse("gaussian:0.5"));
        var theta = density.InitialTheta.ToArray();
        theta[density.Layout["fc2.weight"].Offset] = float.PositiveInfinity;
        var g = new float[density.Dimension];
        var value = density.Evaluate(theta, g);
        var e = Assert.Throws<NonFiniteGradientException>(() => density.ThrowIfNonFinite(value, g));
        Assert.Contains("fc2.weight", e.Message);
    }

    [Fact]
    public void Gradient_facade_writes_log_density_and_per_tensor_arrays()
    {
        var dir = Path.Combine(RepositoryPaths.Models, "reference");
        var reference = NpzFile.Read(Path.Combine(dir, "boston_mlp_gaussian0.5_noprior_full32.npz"));
        var dataPath = Path.Combine(Path.GetTempPath(), $"onnxray-data-{Guid.NewGuid():N}.npz");
        var outPath = Path.Combine(Path.GetTempPath(), $"onnxray-grad-{Guid.NewGuid():N}.npz");
        try
        {
            NpzFile.Write(dataPath, new Dictionary<string, NpyArray> { ["x"] = reference["x"], ["target"] = reference["target"] });
            var result = GradientComputation.Run(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx"), dataPath, "gaussian:0.5", "none", null);
            result.Save(outPath);
            var written = NpzFile.Read(outPath);
            Assert.Equal(reference["log_density"].ScalarValue, written["log_density"].ScalarValue, 1e-4 * Math.Abs(reference["log_density"].ScalarValue));
            Assert.Equal("<f8", written["log_density"].Dtype);
            Assert.Equal(new long[] { 50, 13 }, written["fc1.weight"].Shape);
            Assert.Equal(["log_density", "fc1.weight", "fc1.bias", "fc2.weight"], written.Keys);
        }
        finally
        {
            File.Delete(dataPath);
            File.Delete(outPath);
        }
    }
}
