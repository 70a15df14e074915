using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>ReduceSum and ReduceMean VJPs: axes input, negative and unsorted axes, keepdims 0/1, empty axes with noop_with_empty_axes.</summary>
public class ReductionRuleTests
{
    public static TheoryData<string, long[], long, long> Cases => new()
    {
        // op, axes (empty = none given), keepdims, noop_with_empty_axes
        { "ReduceSum", [1], 1, 0 },
        { "ReduceSum", [1], 0, 0 },
        { "ReduceSum", [-1, 0], 0, 0 },
        { "ReduceSum", [2, -3], 1, 0 },
        { "ReduceSum", [], 0, 0 },
        { "ReduceSum", [], 1, 0 },
        { "ReduceSum", [], 1, 1 },
        { "ReduceMean", [1], 1, 0 },
        { "ReduceMean", [-1, 0], 0, 0 },
        { "ReduceMean", [0, 1, 2], 0, 0 },
        { "ReduceMean", [], 0, 0 },
        { "ReduceMean", [], 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reduction_gradient_matches_reference(string op, long[] axes, long keepdims, long noop)
    {
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(31), [2, 3, 4]));
        string[] inputs = axes.Length > 0 ? ["x", g.ConstInt64(axes)] : ["x"];
        string y = g.Node(op, inputs, Attr.Int("keepdims", keepdims), Attr.Int("noop_with_empty_axes", noop));
        bool identity = axes.Length == 0 && noop == 1;
        RuleCheck.Verify(g, y, ["x"], ["x"], a => identity ? a[0] : ShapeReference.Reduce(a[0], axes, keepdims != 0, op == "ReduceMean"));
    }

    [Fact]
    public void Empty_axes_tensor_input_reduces_everything()
    {
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(32), [3, 2]));
        string y = g.Node("ReduceSum", ["x", g.ConstInt64([0L], Array.Empty<long>())], Attr.Int("keepdims", 0));
        RuleCheck.Verify(g, y, ["x"], ["x"], a => ShapeReference.Reduce(a[0], [], false, false));
    }
}
