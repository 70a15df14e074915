using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>MaxPool, AveragePool and GlobalAveragePool VJPs against exact references (pads, strides, dilations, ceil_mode, count_include_pad).</summary>
public class PoolRuleTests
{
    public static TheoryData<string, long[], long[], long[], long[], long[], long> MaxCases => new()
    {
        // name, X, kernel, strides, dilations, pads, ceil_mode
        { "1d", [2, 2, 9], [3], [1], [1], [0, 0], 0 },
        { "1d stride pad dilation", [1, 3, 12], [3], [2], [2], [1, 2], 0 },
        { "2d overlapping", [2, 2, 6, 7], [3, 3], [1, 2], [1, 1], [0, 0, 0, 0], 0 },
        { "2d ceil_mode", [1, 2, 7, 6], [2, 3], [2, 2], [1, 1], [0, 1, 0, 0], 1 },
        { "2d asym pads dilated", [1, 2, 8, 8], [2, 2], [2, 1], [2, 2], [1, 0, 0, 1], 0 },
        { "3d stride pad", [1, 2, 5, 6, 5], [2, 3, 2], [2, 2, 1], [1, 1, 1], [1, 1, 0, 0, 1, 1], 0 },
        { "3d ceil", [1, 1, 5, 5, 6], [2, 2, 2], [2, 2, 2], [1, 1, 1], [0, 0, 0, 0, 0, 0], 1 },
    };

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxPool_gradient_matches_reference(string name, long[] xShape, long[] kernel, long[] strides, long[] dilations, long[] pads, long ceil)
    {
        _ = name;
        int n = kernel.Length;
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(3), xShape));
        string y = g.Node("MaxPool", ["x"], Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", strides), Attr.Ints("dilations", dilations),
            Attr.Ints("pads", pads), Attr.Int("ceil_mode", ceil));
        RuleCheck.Verify(g, y, ["x"], ["x"],
            a => PoolReference.MaxPool(a[0], kernel, strides, dilations, pads[..n], pads[n..], ceil != 0));
    }

    [Fact]
    public void MaxPool_gradient_with_existing_indices_output_and_auto_pad()
    {
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(4), [1, 2, 7, 7]));
        var outs = g.Node("MaxPool", ["x"], 2, Attr.Ints("kernel_shape", [3, 3]), Attr.Ints("strides", [2, 2]), Attr.String("auto_pad", "SAME_UPPER"));
        // SAME_UPPER: out = 4, total pad = 2 per axis → 1 before, 1 after.
        RuleCheck.Verify(g, outs[0], ["x"], ["x"], a => PoolReference.MaxPool(a[0], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], false));
    }

    public static TheoryData<string, long[], long[], long[], long[], long, long> AverageCases => new()
    {
        // name, X, kernel, strides, pads, ceil_mode, count_include_pad
        { "1d", [2, 2, 9], [3], [2], [0, 0], 0, 0 },
        { "1d pads exclude", [1, 2, 8], [3], [2], [1, 2], 0, 0 },
        { "1d pads include", [1, 2, 8], [3], [2], [1, 2], 0, 1 },
        { "2d pads exclude", [2, 2, 6, 5], [3, 2], [2, 1], [1, 1, 0, 1], 0, 0 },
        { "2d pads include", [2, 2, 6, 5], [3, 2], [2, 1], [1, 1, 0, 1], 0, 1 },
        { "2d ceil exclude", [1, 2, 7, 6], [3, 3], [2, 2], [1, 0, 1, 0], 1, 0 },
        { "2d ceil include", [1, 2, 7, 6], [3, 3], [2, 2], [1, 0, 1, 0], 1, 1 },
        { "3d", [1, 2, 5, 4, 6], [2, 2, 3], [2, 1, 2], [0, 1, 1, 1, 0, 0], 0, 1 },
    };

    [Theory]
    [MemberData(nameof(AverageCases))]
    public void AveragePool_gradient_matches_reference(string name, long[] xShape, long[] kernel, long[] strides, long[] pads, long ceil, long includePad)
    {
        _ = name;
        int n = kernel.Length;
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(5), xShape));
        string y = g.Node("AveragePool", ["x"], Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", strides), Attr.Ints("pads", pads),
            Attr.Int("ceil_mode", ceil), Attr.Int("count_include_pad", includePad));
        RuleCheck.Verify(g, y, ["x"], ["x"],
            a => PoolReference.AveragePool(a[0], kernel, strides, pads[..n], pads[n..], ceil != 0, includePad != 0));
    }

    [Fact]
    public void GlobalAveragePool_gradient_matches_reference()
    {
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(6), [2, 3, 4, 5]));
        string y = g.Node("GlobalAveragePool", ["x"]);
        RuleCheck.Verify(g, y, ["x"], ["x"], a => PoolReference.GlobalAveragePool(a[0]));
    }
}
