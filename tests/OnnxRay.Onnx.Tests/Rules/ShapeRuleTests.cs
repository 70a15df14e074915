using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>VJPs of the shape and data-movement ops against spec-written references.</summary>
public class ShapeRuleTests
{
    private static TestTensor X(params long[] shape) => TestTensor.Random(new Random(41), shape);

    [Fact]
    public void Reshape_Flatten_Squeeze_Unsqueeze_chain()
    {
        var g = new TestGraph();
        g.Input("x", X(2, 1, 3, 4));
        string a = g.Node("Squeeze", ["x", g.ConstInt64(1)]);
        string b = g.Node("Unsqueeze", [a, g.ConstInt64(-1, 0)]);
        string c = g.Node("Flatten", [b], Attr.Int("axis", 2));
        string y = g.Node("Reshape", [c, g.ConstInt64(0, -1, 2)]);
        // Pure reinterpretation of the row-major data: [2,3,4] → [1,2,3,4,1] → [2,12] → y = x with shape [2, 6, 2].
        RuleCheck.Verify(g, y, ["x"], ["x"], t => new TestTensor([2, 6, 2], t[0].Values));
    }

    [Theory]
    [InlineData(new long[] { 2, 0, 1 })]
    [InlineData(new long[] { 1, 2, 0 })]
    [InlineData(new long[0])]
    public void Transpose_gradient(long[] perm)
    {
        var g = new TestGraph();
        g.Input("x", X(2, 3, 4));
        string y = perm.Length > 0 ? g.Node("Transpose", ["x"], Attr.Ints("perm", perm)) : g.Node("Transpose", ["x"]);
        RuleCheck.Verify(g, y, ["x"], ["x"], t => ShapeReference.Transpose(t[0], perm.Length > 0 ? perm : [2, 1, 0]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Concat_gradient_reaches_every_input(int axis)
    {
        var g = new TestGraph();
        g.Input("a", X(2, 3, 2));
        g.Input("b", TestTensor.Random(new Random(42), axis == 1 ? [2, 1, 2] : [2, 3, 3]));
        g.Input("c", TestTensor.Random(new Random(43), axis == 1 ? [2, 4, 2] : [2, 3, 1]));
        string y = g.Node("Concat", ["a", "b", "c"], Attr.Int("axis", axis));
        RuleCheck.Verify(g, y, ["a", "b", "c"], ["a", "b", "c"], t => ShapeReference.Concat(t, axis < 0 ? axis + 3 : axis));
    }

    [Fact]
    public void Split_with_split_input_and_an_output_without_gradient()
    {
        var g = new TestGraph();
        g.Input("x", X(2, 7));
        var parts = g.Node("Split", ["x", g.ConstInt64(2, 4, 1)], 3, Attr.Int("axis", 1));
        // Only parts 0 and 2 reach the output; part 1 gets zeros.
        string y = g.Node("Concat", [parts[2], parts[0]], Attr.Int("axis", 1));
        RuleCheck.Verify(g, y, ["x"], ["x"], t => ShapeReference.Concat(
            [ShapeReference.SplitPart(t[0], [2, 4, 1], 1, 2), ShapeReference.SplitPart(t[0], [2, 4, 1], 1, 0)], 1));
    }

    [Fact]
    public void Split_with_num_outputs_uneven()
    {
        var g = new TestGraph();
        g.Input("x", X(7, 2));
        var parts = g.Node("Split", ["x"], 3, Attr.Int("axis", 0), Attr.Int("num_outputs", 3));
        // Opset 18: chunks of ceil(7/3) = 3, 3 and the remainder 1.
        string y = g.Node("Mul", [parts[1], parts[1]]);
        RuleCheck.Verify(g, y, ["x"], ["x"], t =>
        {
            var p = ShapeReference.SplitPart(t[0], [3, 3, 1], 0, 1);
            return p.WithValues(p.Values.Select(v => v * v).ToArray());
        });
    }

    public static TheoryData<string, long[], long[], long[], long[]> SliceCases => new()
    {
        { "simple", [1, 0], [3, 2], [0, 1], [1, 1] },
        { "negative bounds", [-3], [-1], [2], [1] },
        { "clamped sentinels", [-100, 1], [long.MaxValue, 100], [0, 2], [1, 1] },
        { "stepped", [0, 1], [4, 5], [1, 2], [2, 3] },
        { "negative step", [-1], [long.MinValue], [1], [-1] },
        { "negative step stride2 clamp", [10, 3], [0, -10], [2, 1], [-2, -2] },
        { "negative axes", [1], [-1], [-3], [1] },
    };

    [Theory]
    [MemberData(nameof(SliceCases))]
    public void Slice_gradient(string name, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        _ = name;
        var g = new TestGraph();
        g.Input("x", X(3, 4, 5));
        string y = g.Node("Slice", ["x", g.ConstInt64(starts), g.ConstInt64(ends), g.ConstInt64(axes), g.ConstInt64(steps)]);
        RuleCheck.Verify(g, y, ["x"], ["x"], t => ShapeReference.Slice(t[0], starts, ends, axes, steps));
    }

    [Theory]
    [InlineData(new long[] { 1, 0, 2, 2 }, new long[0])]
    [InlineData(new long[] { 0, 2, 1, 0 }, new long[] { -1, 0 })]
    [InlineData(new long[] { -1, 1, 2, -2 }, new long[0])]
    public void Pad_constant_gradient(long[] pads, long[] axes)
    {
        var g = new TestGraph();
        g.Input("x", X(3, 5));
        string[] inputs = axes.Length > 0 ? ["x", g.ConstInt64(pads), "", g.ConstInt64(axes)] : ["x", g.ConstInt64(pads)];
        string y = g.Node("Pad", inputs, Attr.String("mode", "constant"));
        RuleCheck.Verify(g, y, ["x"], ["x"], t => ShapeReference.Pad(t[0], pads, axes.Length > 0 ? axes : [0, 1], 0));
    }

    [Theory]
    [InlineData("reflect")]
    [InlineData("edge")]
    [InlineData("wrap")]
    public void Pad_non_constant_modes_are_rejected_with_a_reason(string mode)
    {
        var node = new Protobuf.NodeProto { OpType = "Pad", Name = "pad", Input = { "x", "pads" }, Output = { "y" } };
        node.Attribute.Add(Attr.String("mode", mode));
        var reason = GradientRuleRegistry.Default.Find("Pad")!.CheckSupported(new NodeView(node, 18));
        Assert.NotNull(reason);
        Assert.Contains(mode, reason);
    }

    public static TheoryData<int, long[], long[]> GatherCases => new()
    {
        // axis, indices shape, indices (repeats and negatives)
        { 0, [4], [0, 2, -1, 2] },
        { 1, [2, 3], [1, -4, 1, 3, 3, 0] },
        { -1, [3], [4, -1, 0] },
        { 1, [], [2] },
    };

    [Theory]
    [MemberData(nameof(GatherCases))]
    public void Gather_gradient_accumulates_repeats(int axis, long[] indexShape, long[] indices)
    {
        var g = new TestGraph();
        g.Input("x", X(3, 4, 5));
        g.Input("i", TestTensor.Int64(indexShape, indices));
        string y = g.Node("Gather", ["x", "i"], Attr.Int("axis", axis));
        RuleCheck.Verify(g, y, ["x", "i"], ["x"], t => ShapeReference.Gather(t[0], t[1], axis));
    }
}
