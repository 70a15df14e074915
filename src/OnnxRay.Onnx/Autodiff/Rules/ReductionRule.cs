namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of ReduceSum and ReduceMean (axes as attribute or input, negative axes, keepdims 0/1, noop_with_empty_axes):
/// restore the reduced axes with Unsqueeze when keepdims = 0, then Expand to X's shape; ReduceMean also divides
/// by the number of reduced elements (= |X| / |Y|).
/// </summary>
public sealed class ReductionRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["ReduceSum", "ReduceMean"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        string x = node.Input(0);
        var xShape = ctx.Shape(x);
        var yShape = ctx.Shape(node.Output(0));
        bool keepDims = node.GetInt("keepdims", 1) != 0;

        // Axes: an attribute before opset 13 (ReduceSum) / 18 (ReduceMean), an optional input afterwards.
        string? axesInput = node.HasInput(1) ? node.Input(1) : null;
        var axesAttribute = node.GetInts("axes");
        bool emptyAxes = axesInput is null ? axesAttribute is not { Length: > 0 } : ctx.Shape(axesInput).Aggregate(1L, (a, b) => a * b) == 0;
        bool noop = emptyAxes && node.GetInt("noop_with_empty_axes", 0) != 0;

        string grad = dy;
        if (!noop && !keepDims)
        {
            if (emptyAxes)
                grad = ctx.Op("Reshape", [dy, ctx.ConstInt64(Enumerable.Repeat(1L, xShape.Length).ToArray())]);
            else
                // Unsqueeze normalises negative axes against the output rank, which is X's rank: exactly the reduced axes.
                grad = ctx.Op("Unsqueeze", [dy, axesInput ?? ctx.ConstInt64(axesAttribute!)]);
        }
        if (node.OpType == "ReduceMean" && !noop)
        {
            long count = Numel(xShape) / Math.Max(1, Numel(yShape));
            grad = ctx.Op("Div", [grad, ctx.ConstScalar(count, ctx.ElementType(x))]);
        }
        if (!xShape.SequenceEqual(yShape) || !keepDims)
            grad = ctx.Op("Expand", [grad, ctx.ConstInt64(xShape)]);
        ctx.AddInputGradient(0, grad);
    }

    private static long Numel(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);
}
