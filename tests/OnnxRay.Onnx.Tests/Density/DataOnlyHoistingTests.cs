using Microsoft.ML.OnnxRuntime;
using OnnxRay.Abstractions;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// The data-only part of a density graph (the categorical head's OneHot, the first Conv's patch matrix) computed in a
/// run of its own only when the data changes must give what the whole graph gives in every run: full batch (also
/// binding the caller's memory), a session whose data are rebound or changed in place (a stale part would fail), the
/// limit; minibatch densities, which do not hoist, against a fresh density per batch and against the full batch.
/// </summary>
public class DataOnlyHoistingTests
{
    private static readonly DensityOptions Categorical = DensityOptions.Parse("categorical", "none");

    private static OnnxModel Digits() => ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx")));

    private static DensityData DigitsRows(int n)
    {
        var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "digits", "train.npz"));
        return DensityData.FromArrays(all.Rows(0, n), "digits");
    }

    [Fact]
    public void Digits_hoists_the_one_hot_and_the_first_conv_patches_boston_hoists_nothing()
    {
        using var digits = OrtLogDensity.Create(Digits(), DigitsRows(16), Categorical);
        var part = digits.Graph.DataOnly;
        Assert.NotNull(part);
        var (prep, main) = part!.Split(digits.Graph.Model);
        Assert.Contains(prep.Graph.Node, n => n.OpType == "OneHot");
        Assert.Contains(prep.Graph.Node, n => n.OpType == "Conv");
        Assert.DoesNotContain(main.Graph.Node, n => n.OpType == "OneHot");
        Assert.True(main.Graph.Node.Count + part.NodeCount <= digits.Graph.Model.Graph.Node.Count);

        // Nothing but views of the inputs in the MLP's gaussian head: no second run.
        var boston = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx")));
        var rows = DensityData.FromArrays(DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz")).Rows(0, 16), "boston");
        using var mlp = OrtLogDensity.Create(boston, rows, DensityOptions.Parse("gaussian:0.5", "gaussian:1.0"));
        Assert.Null(mlp.Graph.DataOnly);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Full_batch_hoisted_equals_unhoisted(bool callerMemory)
    {
        var model = Digits();
        var data = DigitsRows(40);
        OrtLogDensity Create(long limit) => OrtLogDensity.Create(model, data, Categorical,
            new OrtLogDensityOptions { HoistLimitBytes = limit, BindCallerMemoryFromDimension = callerMemory ? 1 : int.MaxValue });
        using var hoisted = Create(DataOnlyPart.DefaultLimitBytes);
        using var plain = Create(0);
        Assert.NotNull(hoisted.Graph.DataOnly);
        Assert.Null(plain.Graph.DataOnly);
        var theta = hoisted.InitialTheta;
        for (var repeat = 0; repeat < 2; repeat++) // the second run reuses the hoisted values
        {
            AssertSame(Evaluate(plain, theta, exact: false), Evaluate(hoisted, theta, exact: false));
            Assert.Equal(plain.EvaluateValue(theta), hoisted.EvaluateValue(theta), Math.Abs(plain.EvaluateValue(theta)) * 1e-5);
            theta = Perturbed(theta, 0.05f, repeat);
        }
    }

    [Fact]
    public void Session_recomputes_the_data_only_part_when_the_data_change()
    {
        var model = Digits();
        var layout = ParameterLayout.FromModel(model);
        var prepared = DigitsRows(32).Prepare(model, Categorical.Likelihood);
        var first = prepared.Rows(0, 16);
        var second = prepared.Rows(16, 16);
        var hoistedGraph = DensityGraphBuilder.Build(model, layout, Categorical, first, 1.0, ignoredTargets: false);
        var plainGraph = DensityGraphBuilder.Build(model, layout, Categorical, first, 1.0, ignoredTargets: false, hoistLimitBytes: 0);
        Assert.NotNull(hoistedGraph.DataOnly);
        using var hoisted = new GraphSession(hoistedGraph, new OrtLogDensityOptions());
        using var plain = new GraphSession(plainGraph, new OrtLogDensityOptions());
        var firstValues = Wrap(hoistedGraph, first);
        var secondValues = Wrap(hoistedGraph, second);
        var theta = layout.ReadInitialTheta(model);
        (double, float[]) Run(GraphSession session)
        {
            var gradient = new float[layout.Dimension];
            return (session.Run(theta, gradient, 1f, 1f), gradient);
        }
        try
        {
            foreach (var values in new[] { firstValues, secondValues, firstValues })
            {
                hoisted.SetData(values);
                plain.SetData(values);
                AssertSame(Run(plain), Run(hoisted));
            }
            var before = Run(hoisted);
            // The second batch's rows copied into the bound first batch's arrays: the same values, new contents.
            foreach (var (name, array) in second)
                Array.Copy(array.Data, first[name].Data, array.Data.Length);
            hoisted.DataChanged();
            plain.DataChanged();
            var after = Run(hoisted);
            AssertSame(Run(plain), after);
            Assert.True(Distance(before.Item2, after.Item2) > 1e-3 * VectorMath.Norm(before.Item2), "the batches' gradients should differ");
        }
        finally
        {
            foreach (var v in firstValues.Concat(secondValues)) v.Dispose();
        }
    }

    [Fact]
    public void Minibatch_densities_do_not_hoist_and_match_a_fresh_density_per_batch()
    {
        var model = Digits();
        const int n = 64, b = 16;
        var data = DigitsRows(n);
        using var hoisted = OrtLogDensity.Create(model, data, Categorical, new OrtLogDensityOptions { BatchSize = b, MinibatchRandom = new ChainRandom(5) });
        Assert.Null(hoisted.Graph.DataOnly);
        var feeder = new MinibatchFeeder(n, b, new ChainRandom(5)); // the same batches
        var prepared = data.Prepare(model, Categorical.Likelihood);
        var theta = hoisted.InitialTheta;
        (double Value, float[] Gradient)? first = null;
        for (var step = 0; step < 3; step++)
        {
            var result = Evaluate(hoisted, theta, exact: false);
            // A fresh full-batch density on this batch's rows: scale 1 instead of N/B, no prior.
            using var fresh = OrtLogDensity.Create(model, DensityData.FromArrays(Gather(prepared, feeder.Next())), Categorical);
            var expected = Evaluate(fresh, theta, exact: false);
            AssertSame(((double)n / b * expected.Value, expected.Gradient.Select(g => (float)n / b * g).ToArray()), result);
            if (first is { } f) Assert.True(Distance(f.Gradient, result.Gradient) > 1e-3 * VectorMath.Norm(f.Gradient), "the batches' gradients should differ");
            first ??= result;
        }
    }

    [Fact]
    public void Exact_chunks_with_remainder_interleaved_with_minibatches_equal_the_full_batch()
    {
        var model = Digits();
        var data = DigitsRows(50); // B = 16: three chunks and a remainder of 2
        using var full = OrtLogDensity.Create(model, data, Categorical, new OrtLogDensityOptions { HoistLimitBytes = 0 });
        using var chunked = OrtLogDensity.Create(model, data, Categorical, new OrtLogDensityOptions { BatchSize = 16, MinibatchRandom = new ChainRandom(2) });
        using var reference = OrtLogDensity.Create(model, data, Categorical,
            new OrtLogDensityOptions { BatchSize = 16, MinibatchRandom = new ChainRandom(2), HoistLimitBytes = 0 });
        var theta = full.InitialTheta;
        var expected = Evaluate(full, theta, exact: true);
        for (var round = 0; round < 2; round++)
        {
            // A minibatch step between exact evaluations: each switch of data must recompute the hoisted values.
            AssertSame(Evaluate(reference, theta, exact: false), Evaluate(chunked, theta, exact: false));
            AssertSame(expected, Evaluate(chunked, theta, exact: true));
            Assert.Equal(expected.Value, chunked.EvaluateValue(theta), Math.Abs(expected.Value) * 1e-5);
        }
    }

    [Fact]
    public void Values_over_the_limit_stay_in_the_per_run_graph()
    {
        var model = Digits();
        var data = DigitsRows(32);
        // OneHot [32, 10] floats = 1,280 bytes fits; the first conv's patch matrix [9, 32·64] floats = 73,728 bytes does not.
        using var limited = OrtLogDensity.Create(model, data, Categorical, new OrtLogDensityOptions { HoistLimitBytes = 4096 });
        using var plain = OrtLogDensity.Create(model, data, Categorical, new OrtLogDensityOptions { HoistLimitBytes = 0 });
        var part = limited.Graph.DataOnly!;
        Assert.All(part.Values, v => Assert.True(v.Shape.Aggregate(1L, (a, d) => a * d) * TensorData.ElementSize(v.ElementType) <= 4096));
        Assert.DoesNotContain(limited.Graph.Model.Graph.Node, n => n.OpType == "Gemm" && n.Input.Any(i => part.Values.Any(v => v.Name == i)));
        AssertSame(Evaluate(plain, plain.InitialTheta, exact: false), Evaluate(limited, plain.InitialTheta, exact: false));
    }

    private static OrtValue[] Wrap(DensityGraph graph, IReadOnlyDictionary<string, NpyArray> rows) =>
        graph.DataInputs.Select(d => OrtTensors.Wrap(rows[d.Name].Data, d.Shape)).ToArray();

    private static (double Value, float[] Gradient) Evaluate(OrtLogDensity density, float[] theta, bool exact)
    {
        var gradient = new float[density.Dimension];
        var value = exact ? density.EvaluateExact(theta, gradient) : density.Evaluate(theta, gradient);
        return (value, gradient);
    }

    /// <summary>Equal to float32 rounding (the hoisted graph sums the first conv's weight gradient in another order).</summary>
    private static void AssertSame((double Value, float[] Gradient) expected, (double Value, float[] Gradient) actual)
    {
        Assert.Equal(expected.Value, actual.Value, Math.Abs(expected.Value) * 1e-5);
        Assert.True(Distance(expected.Gradient, actual.Gradient) <= 1e-4 * VectorMath.Norm(expected.Gradient),
            $"gradients differ: |Δ| = {Distance(expected.Gradient, actual.Gradient):E3}, |g| = {VectorMath.Norm(expected.Gradient):E3}");
    }

    private static double Distance(float[] a, float[] b) => VectorMath.Norm(a.Zip(b, (x, y) => x - y).ToArray());

    private static float[] Perturbed(float[] theta, float scale, int seed)
    {
        var random = new Random(seed);
        return theta.Select(t => t + scale * (float)(random.NextDouble() - 0.5)).ToArray();
    }

    private static Dictionary<string, NpyArray> Gather(DensityData data, ReadOnlySpan<int> indices)
    {
        var picked = indices.ToArray();
        return data.Arrays.ToDictionary(kv => kv.Key, kv =>
        {
            var row = (int)DensityData.RowSize(kv.Value);
            var copy = Array.CreateInstance(kv.Value.Data.GetType().GetElementType()!, picked.Length * row);
            for (var i = 0; i < picked.Length; i++) Array.Copy(kv.Value.Data, picked[i] * row, copy, i * row, row);
            return new NpyArray(kv.Value.Dtype, [picked.Length, .. kv.Value.Shape.Skip(1)], copy);
        });
    }
}
