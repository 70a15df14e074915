namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Trilu (opset 14): the mask is linear and self-adjoint, so X̄ = Trilu(Ȳ, k, upper); k carries no gradient.</summary>
public sealed class TriluRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Trilu"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        var inputs = node.HasInput(1) ? new[] { dy, node.Input(1) } : [dy];
        ctx.AddInputGradient(0, ctx.Op("Trilu", inputs, Attr.Int("upper", node.GetInt("upper", 1))));
    }
}
