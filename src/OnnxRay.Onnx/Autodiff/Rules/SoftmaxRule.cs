namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Softmax and LogSoftmax. Opset ≥ 13 normalises over one axis (default −1); older nodes coerce the input to
/// 2-D and normalise over all axes from <c>axis</c> (default 1) on, so the reduction runs over those axes jointly.
/// Softmax: X̄ = Y·(Ȳ − Σ Ȳ·Y). LogSoftmax: X̄ = Ȳ − Exp(Y)·Σ Ȳ.
/// </summary>
public sealed class SoftmaxRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Softmax", "LogSoftmax"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        string y = node.Output(0);
        int rank = ctx.Shape(y).Length;
        string axes = ctx.ConstInt64(NormalizedAxes(node, rank));
        string dx;
        if (node.OpType == "Softmax")
        {
            string dot = ctx.Op("ReduceSum", [ctx.Op("Mul", [dy, y]), axes], Attr.Int("keepdims", 1));
            dx = ctx.Op("Mul", [y, ctx.Op("Sub", [dy, dot])]);
        }
        else
        {
            string total = ctx.Op("ReduceSum", [dy, axes], Attr.Int("keepdims", 1));
            dx = ctx.Op("Sub", [dy, ctx.Op("Mul", [ctx.Op("Exp", [y]), total])]);
        }
        ctx.AddInputGradient(0, dx);
    }

    /// <summary>The axes the op normalises over, non-negative.</summary>
    internal static long[] NormalizedAxes(NodeView node, int rank)
    {
        bool legacy = node.Opset < 13;
        long axis = node.GetInt("axis", legacy ? 1 : -1);
        if (axis < 0) axis += rank;
        if (rank == 0) return [];
        return legacy ? Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i).ToArray() : [axis];
    }
}
