namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// LayerNormalization (opset 17+, §6.5): re-emits the forward node with its Mean and InvStdDev outputs, then
/// X̄ = inv·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) over the normalised axes, Scale̅ and B̄ unreduced from Ȳ·x̂ and Ȳ.
/// </summary>
public sealed class LayerNormalizationRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["LayerNormalization"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1 or 2;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var x = node.Input(0);
        var scale = node.Input(1);
        var rank = ctx.Shape(x).Length;
        var axis = node.GetInt("axis", -1);
        if (axis < 0) axis += rank;
        var mean = ctx.ForwardOutput(1);
        var inv = ctx.ForwardOutput(2);
        // Asking for the shapes makes the engine probe the new outputs before anything is built on them.
        _ = ctx.Shape(mean);
        _ = ctx.Shape(inv);
        var axes = ctx.ConstInt64(Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i).ToArray());
        var xhat = ctx.Op("Mul", [ctx.Op("Sub", [x, mean]), inv]);
        if (ctx.NeedsInputGradient(0))
        {
            var g = ctx.Op("Mul", [dy, scale]);
            var meanG = ctx.Op("ReduceMean", [g, axes], Attr.Int("keepdims", 1));
            var meanGx = ctx.Op("ReduceMean", [ctx.Op("Mul", [g, xhat]), axes], Attr.Int("keepdims", 1));
            var inner = ctx.Op("Sub", [ctx.Op("Sub", [g, meanG]), ctx.Op("Mul", [xhat, meanGx])]);
            ctx.AddInputGradient(0, ctx.Op("Mul", [inner, inv]));
        }
        if (ctx.NeedsInputGradient(1)) ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("Mul", [dy, xhat]), scale));
        if (node.HasInput(2) && ctx.NeedsInputGradient(2)) ctx.AddInputGradient(2, ctx.Unreduce(dy, node.Input(2)));
    }
}
