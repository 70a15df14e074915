using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Autodiff.Rules;
using OnnxRay.Onnx.Density;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// The index-free MaxPool VJP for windows that tile the input (kernel = strides, no pads): against double-precision
/// finite differences away from ties, against the exact first-maximum gradient and the Indices-based form at ties
/// (positive, zero and negative plateaus), and the fall-back to the Indices form where the windows do not tile
/// (MaxUnpool at the Indices for disjoint windows, ScatterElements for overlapping ones).
/// Inputs have at least <see cref="PoolMaxTiledGradient.MinElements"/> elements, below which the rule keeps the Indices form.
/// </summary>
public class PoolMaxTiledTests
{
    public static TheoryData<string, long[], long[]> TiledCases => new()
    {
        // name, X, window (= strides)
        { "k2", [2, 4, 32, 32], [2, 2] },
        { "k3", [2, 4, 33, 33], [3, 3] },
        { "2x3", [2, 4, 32, 36], [2, 3] },
    };

    [Theory]
    [MemberData(nameof(TiledCases))]
    public void Tiled_gradient_matches_double_finite_differences_away_from_ties(string name, long[] xShape, long[] window)
    {
        _ = name;
        var x = TestTensor.Random(new Random(11), xShape);
        var (gradient, graph) = EngineGradient(x, window, outputs: 1);
        AssertIndexFree(graph);
        var expected = LocalFiniteDifferences(x, Seed(x, window), window);
        double error = ReferenceGradient.RelativeError(gradient, expected);
        Assert.True(error < RuleCheck.GradientTolerance, $"relative error {error:E2}");
    }

    [Theory]
    [MemberData(nameof(TiledCases))]
    public void Ties_send_the_gradient_to_the_first_maximum_in_row_major_window_order_as_the_Indices_form_does(string name, long[] xShape, long[] window)
    {
        _ = name;
        var x = Plateaus(xShape, new Random(12));
        var (indexFree, graph) = EngineGradient(x, window, outputs: 1);
        AssertIndexFree(graph);
        // The same node asking for Indices unpools at those Indices: both must agree to the last bit.
        var (withIndices, indicesGraph) = EngineGradient(x, window, outputs: 2);
        AssertUnpoolsAtIndices(indicesGraph);
        Assert.Equal(withIndices.Values, indexFree.Values);
        Assert.Equal(FirstMaximumGradient(x, Seed(x, window), window).Values, indexFree.Values);
    }

    [Fact]
    public void Window_holding_NaN_keeps_its_gradient_inside_the_window_and_leaves_the_others_exact()
    {
        long[] window = [2, 2];
        var x = Plateaus([2, 4, 32, 32], new Random(13));
        x.Values[5 * 32 + 7] = double.NaN;           // window (2, 3) of plane 0
        var (gradient, graph) = EngineGradient(x, window, outputs: 1);
        AssertIndexFree(graph);
        var expected = FirstMaximumGradient(x, Seed(x, window), window);
        for (int i = 0; i < x.Count; i++)
        {
            bool inNanWindow = i / 32 / 2 == 2 && i % 32 / 2 == 3 && i < 32 * 32;
            if (!inNanWindow) Assert.Equal(expected.Values[i], gradient.Values[i]);
        }
    }

    public static TheoryData<string, long[], long[], long[]> FallbackCases => new()
    {
        // name, X, kernel, strides: the Indices form is kept
        { "odd height", [2, 4, 33, 32], [2, 2], [2, 2] },
        { "odd width", [2, 4, 32, 33], [2, 2], [2, 2] },
        { "overlapping", [2, 4, 32, 32], [3, 3], [2, 2] },
        { "below the size threshold", [1, 2, 8, 8], [2, 2], [2, 2] },
    };

    [Theory]
    [MemberData(nameof(FallbackCases))]
    public void Windows_that_do_not_tile_fall_back_to_the_Indices_form(string name, long[] xShape, long[] kernel, long[] strides)
    {
        _ = name;
        var x = TestTensor.Random(new Random(14), xShape);
        var g = new TestGraph();
        g.Input("x", x);
        string y = g.Node("MaxPool", ["x"], Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", strides));
        DensityGraph? graph = null;
        var outSpatial = PoolReference.OutputSize(xShape[2..], kernel, strides, [1, 1], [0, 0], [0, 0], false);
        var seed = TestTensor.Random(new Random(15), [xShape[0], xShape[1], .. outSpatial]);
        var gradient = RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["x"], y, seed, d => graph = d)["x"];
        if (kernel.Zip(strides).All(ks => ks.Second >= ks.First))
        {
            AssertUnpoolsAtIndices(graph!);
        }
        else
        {
            Assert.DoesNotContain(graph!.Model.Graph.Node, n => n.OpType == "MaxUnpool");
            Assert.Contains(graph.Model.Graph.Node, n => n.OpType == "ScatterElements");
        }
        if (kernel.SequenceEqual(strides))
        {
            double error = ReferenceGradient.RelativeError(gradient, LocalFiniteDifferences(x, seed, kernel));
            Assert.True(error < RuleCheck.GradientTolerance, $"relative error {error:E2}");
        }
    }

    /// <summary>The engine's gradient of Σ seed ⊙ MaxPool(x) (window = strides), the node declaring 1 or 2 (with Indices) outputs.</summary>
    private static (TestTensor Gradient, DensityGraph Graph) EngineGradient(TestTensor x, long[] window, int outputs)
    {
        var g = new TestGraph();
        g.Input("x", x);
        var y = g.Node("MaxPool", ["x"], outputs, Attr.Ints("kernel_shape", window), Attr.Ints("strides", window))[0];
        DensityGraph? graph = null;
        var gradient = RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["x"], y, Seed(x, window), d => graph = d)["x"];
        return (gradient, graph!);
    }

    private static void AssertIndexFree(DensityGraph graph)
    {
        var nodes = graph.Model.Graph.Node;
        Assert.Contains(nodes, n => n.OpType == "MaxUnpool");
        Assert.DoesNotContain(nodes, n => n.OpType == "ScatterElements");
        Assert.DoesNotContain(nodes, n => n.OpType == "MaxPool" && n.Output.Count > 1 && n.Output[1].Length > 0);
    }

    /// <summary>The Indices form for disjoint windows: the forward MaxPool's Indices feed one MaxUnpool, no scatter.</summary>
    private static void AssertUnpoolsAtIndices(DensityGraph graph)
    {
        var nodes = graph.Model.Graph.Node;
        var pool = nodes.Single(n => n.OpType == "MaxPool");
        Assert.True(pool.Output.Count > 1 && pool.Output[1].Length > 0, "the forward MaxPool has no Indices output");
        Assert.Contains(nodes, n => n.OpType == "MaxUnpool" && n.Input[1] == pool.Output[1]);
        Assert.DoesNotContain(nodes, n => n.OpType == "ScatterElements");
    }

    private static TestTensor Seed(TestTensor x, long[] window) =>
        TestTensor.Random(new Random(16), [x.Shape[0], x.Shape[1], x.Shape[2] / window[0], x.Shape[3] / window[1]]);

    /// <summary>
    /// Windows of plateaus, as a ReLU after a conv on a flat background gives: per window either all taps equal
    /// (a positive value, 0 or a negative value), or a random mix of two levels so that the maximum is tied at a random
    /// subset of taps.
    /// </summary>
    private static TestTensor Plateaus(long[] shape, Random rng)
    {
        var x = TestTensor.Zeros(shape);
        double[] levels = [0.75, 0, -0.5];
        for (int i = 0; i < x.Count; i++) x.Values[i] = levels[rng.Next(levels.Length)];
        // Make whole windows flat in a quarter of the 2×2 blocks (every window of any size then has some flat parts).
        long w = shape[3];
        for (long i = 0; i < x.Count; i += 2)
            if ((i / w) % 2 == 0 && rng.Next(4) == 0)
            {
                double v = levels[rng.Next(levels.Length)];
                x.Values[i] = x.Values[i + 1] = v;
                if (i + w + 1 < x.Count) x.Values[i + w] = x.Values[i + w + 1] = v;
            }
        return x;
    }

    /// <summary>The tiled windows of (n, c, i, j) as flat indices of X, row-major within the window.</summary>
    private static IEnumerable<(long Plane, long I, long J, long[] Taps)> Windows(long[] shape, long[] window)
    {
        long kh = window[0], kw = window[1], height = shape[2], width = shape[3], h = height / kh, w = width / kw;
        for (long plane = 0; plane < shape[0] * shape[1]; plane++)
            for (long i = 0; i < h; i++)
                for (long j = 0; j < w; j++)
                {
                    var taps = new long[kh * kw];
                    for (long a = 0; a < kh; a++)
                        for (long b = 0; b < kw; b++)
                            taps[a * kw + b] = plane * height * width + (i * kh + a) * width + j * kw + b;
                    yield return (plane, i, j, taps);
                }
    }

    /// <summary>Exact gradient at ties as MaxPool's Indices define it: Ȳ goes to the first maximal tap in row-major order.</summary>
    private static TestTensor FirstMaximumGradient(TestTensor x, TestTensor seed, long[] window)
    {
        var grad = TestTensor.Zeros(x.Shape);
        long h = seed.Shape[2], w = seed.Shape[3];
        foreach (var (plane, i, j, taps) in Windows(x.Shape, window))
        {
            long first = taps[0];
            foreach (var t in taps)
                if (x.Values[t] > x.Values[first]) first = t;
            grad.Values[first] += seed.Values[(plane * h + i) * w + j];
        }
        return grad;
    }

    /// <summary>
    /// Central differences in double of Σ seed ⊙ MaxPool(x) with respect to every element of x. With tiled windows an
    /// element moves only its own window's maximum, so each quotient needs that window alone; elements in no window get 0.
    /// </summary>
    private static TestTensor LocalFiniteDifferences(TestTensor x, TestTensor seed, long[] window, double step = 1e-7)
    {
        var grad = TestTensor.Zeros(x.Shape);
        long h = seed.Shape[2], w = seed.Shape[3];
        foreach (var (plane, i, j, taps) in Windows(x.Shape, window))
        {
            double r = seed.Values[(plane * h + i) * w + j];
            foreach (var t in taps)
            {
                double original = x.Values[t];
                x.Values[t] = original + step;
                double up = taps.Max(k => x.Values[k]);
                x.Values[t] = original - step;
                double down = taps.Max(k => x.Values[k]);
                x.Values[t] = original;
                grad.Values[t] = r * (up - down) / (2 * step);
            }
        }
        return grad;
    }
}
