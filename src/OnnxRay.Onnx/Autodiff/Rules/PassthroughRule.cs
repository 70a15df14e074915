namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Identity, Dropout (inference), Cast between floating types (§6.1): the gradient passes unchanged (cast back for Cast).</summary>
public sealed class PassthroughRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Identity", "Dropout", "Cast"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public string? CheckSupported(NodeView node) =>
        node.OpType == "Dropout" && (node.HasInput(2) || node.GetInt("is_test", 1) == 0)
            ? "Dropout in training mode draws a random mask on every run; export the model in eval mode (model.eval())"
            : null;

    public void Emit(GradientContext ctx)
    {
        var dy = ctx.OutputGradient(0)!;
        if (ctx.Node.OpType == "Cast")
        {
            var inputType = ctx.ElementType(ctx.Node.Input(0));
            if (inputType != ctx.ElementType(ctx.Node.Output(0)))
                dy = ctx.Op("Cast", [dy], Attr.Int("to", inputType));
        }
        ctx.AddInputGradient(0, dy);
    }
}
