using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Density;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// The Conv weight gradient on ORT's NCHWc CPU kernels (batch and output channels multiples of MLAS's block, 8 or 16:
/// 32 is both) against the direct-sum reference, incl. one input channel, several output blocks, strides and
/// dilations that need the k' crop; and the shapes that keep the standard Conv. Without hoisting: a Conv that reads the
/// data takes the patch-matrix form where the runner hoists (<see cref="ConvWeightGradientPatchesTests"/>).
/// </summary>
public class ConvWeightGradientNchwcTests
{
    public static TheoryData<string, long[], long[], long[], long[], long[]> Cases => new()
    {
        // name, X, W, strides, dilations, pads
        { "3x3 pad 1", [32, 3, 6, 6], [16, 3, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1] },
        { "one input channel", [32, 1, 7, 5], [16, 1, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1] },
        { "two output blocks, asymmetric pads", [32, 2, 5, 6], [32, 2, 2, 3], [1, 1], [1, 1], [0, 1, 1, 0] },
        { "stride 2 (k' crop), dilation", [32, 2, 9, 8], [16, 2, 3, 2], [2, 2], [1, 2], [1, 0, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Blocked_weight_gradient_matches_reference(string name, long[] xShape, long[] wShape, long[] strides, long[] dilations, long[] pads)
    {
        _ = name;
        var g = ConvGraph(xShape, wShape, strides, dilations, pads, out var y);
        RuleCheck.Verify(g, y, ["x", "w", "b"], ["w", "b"], a => ConvReference.Conv(a[0], a[1], a[2], strides, dilations, pads[..2], pads[2..], 1),
            hoistLimitBytes: 0);
        Assert.Equal(NchwcKernels.BlockSize is not null, BlockedNodes(g, y) > 0);
    }

    [Theory]
    [InlineData(new long[] { 20, 3, 6, 6 }, new long[] { 16, 3, 3, 3 })] // batch not a multiple of the block
    [InlineData(new long[] { 32, 3, 6, 6 }, new long[] { 6, 3, 3, 3 })]  // output channels not a multiple of the block
    public void Other_shapes_keep_the_standard_conv(long[] xShape, long[] wShape)
    {
        var g = ConvGraph(xShape, wShape, [1, 1], [1, 1], [1, 1, 1, 1], out var y);
        Assert.Equal(0, BlockedNodes(g, y));
    }

    private static TestGraph ConvGraph(long[] xShape, long[] wShape, long[] strides, long[] dilations, long[] pads, out string y)
    {
        var rng = new Random(31);
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("w", TestTensor.Random(rng, wShape));
        g.Input("b", TestTensor.Random(rng, [wShape[0]]));
        y = g.Node("Conv", ["x", "w", "b"], Attr.Ints("strides", strides), Attr.Ints("dilations", dilations), Attr.Ints("pads", pads));
        return g;
    }

    /// <summary>
    /// How many com.microsoft.nchwc nodes compute ∂/∂w Σ seed ⊙ y in its density graph (the nodes the w-gradient output
    /// depends on; the forward Conv may be lowered to NCHWc too, by <see cref="NchwcConvLowering"/>, which is not counted).
    /// </summary>
    private static int BlockedNodes(TestGraph g, string y)
    {
        DensityGraph? graph = null;
        var shape = OrtRunner.Run(g.Build(y), g.Feeds, [y])[y].Shape;
        RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["w"], y, TestTensor.Random(new Random(32), shape), d => graph = d, hoistLimitBytes: 0);
        var nodes = graph!.Model.Graph.Node;
        var needed = new HashSet<string>(graph.Gradient.Slices.Select(s => s.OutputName), StringComparer.Ordinal);
        var count = 0;
        for (var i = nodes.Count - 1; i >= 0; i--) // topological order: consumers after producers
        {
            if (!nodes[i].Output.Any(needed.Contains)) continue;
            needed.UnionWith(nodes[i].Input);
            if (nodes[i].Domain == NchwcKernels.Domain) count++;
        }
        return count;
    }
}
