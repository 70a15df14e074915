using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Density;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// The weight gradient of a 2-D Conv that reads the data, as a product with X's hoisted patch matrix, against the
/// direct-sum reference: one and several input channels, asymmetric pads, stride 2 with dilation, groups, batch 1; and
/// the old form where the patch matrix exceeds the hoisting limit or hoisting is off.
/// </summary>
public class ConvWeightGradientPatchesTests
{
    public static TheoryData<string, long[], long[], long[], long[], long[], long> Cases => new()
    {
        // name, X, W, strides, dilations, pads, group
        { "3x3 pad 1, one input channel", [4, 1, 8, 8], [6, 1, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1], 1 },
        { "three input channels, asymmetric pads", [3, 3, 6, 7], [4, 3, 2, 3], [1, 1], [1, 1], [0, 1, 1, 0], 1 },
        { "stride 2, dilation", [2, 2, 9, 8], [5, 2, 3, 2], [2, 2], [1, 2], [1, 0, 0, 1], 1 },
        { "two groups", [2, 4, 6, 6], [6, 2, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1], 2 },
        { "depthwise, stride 2", [3, 3, 7, 7], [3, 1, 3, 3], [2, 2], [1, 1], [1, 1, 1, 1], 3 },
        { "batch 1", [1, 3, 5, 5], [2, 3, 3, 3], [2, 1], [1, 1], [1, 1, 1, 1], 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Patch_weight_gradient_matches_reference(string name, long[] xShape, long[] wShape, long[] strides, long[] dilations, long[] pads, long group)
    {
        _ = name;
        var g = ConvGraph(xShape, wShape, strides, dilations, pads, group, out var y);
        RuleCheck.Verify(g, y, ["x", "w", "b"], ["w", "b"], a => ConvReference.Conv(a[0], a[1], a[2], strides, dilations, pads[..2], pads[2..], group));
        var graph = DensityGraphOf(g, y, DataOnlyPart.DefaultLimitBytes);
        // The per-run graph multiplies by the hoisted patch matrix; its Conv (im2col of x) left with the data-only part.
        Assert.NotNull(graph.DataOnly);
        var (prep, main) = graph.DataOnly!.Split(graph.Model);
        Assert.Contains(main.Graph.Node, n => n.OpType == (group == 1 ? "Gemm" : "MatMul"));
        Assert.True(main.Graph.Node.Count(n => n.Input.Contains("x")) <= 1); // the forward Conv, unless its reorder left too
        Assert.Contains(prep.Graph.Node, n => n.OpType == "Conv");
    }

    [Fact]
    public void Patch_matrix_over_the_limit_or_no_hoisting_keeps_the_conv_form()
    {
        var g = ConvGraph([4, 2, 6, 6], [3, 2, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1], 1, out var y);
        // P holds 2·9 × 4·36 floats = 10,368 bytes.
        Assert.Null(DensityGraphOf(g, y, 0).DataOnly);
        foreach (var limit in new long[] { 0, 10_367 })
            Assert.DoesNotContain(DensityGraphOf(g, y, limit).Model.Graph.Node, n => n.OpType is "Gemm" or "MatMul");
        Assert.Contains(DensityGraphOf(g, y, 10_368).Model.Graph.Node, n => n.OpType == "Gemm");
    }

    private static TestGraph ConvGraph(long[] xShape, long[] wShape, long[] strides, long[] dilations, long[] pads, long group, out string y)
    {
        var rng = new Random(41);
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("w", TestTensor.Random(rng, wShape));
        g.Input("b", TestTensor.Random(rng, [wShape[0]]));
        y = g.Node("Conv", ["x", "w", "b"], Attr.Ints("strides", strides), Attr.Ints("dilations", dilations), Attr.Ints("pads", pads), Attr.Int("group", group));
        return g;
    }

    private static DensityGraph DensityGraphOf(TestGraph g, string y, long hoistLimitBytes)
    {
        DensityGraph? graph = null;
        var shape = OrtRunner.Run(g.Build(y), g.Feeds, [y])[y].Shape;
        RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["w", "b"], y, TestTensor.Random(new Random(42), shape), d => graph = d, hoistLimitBytes);
        return graph!;
    }
}
