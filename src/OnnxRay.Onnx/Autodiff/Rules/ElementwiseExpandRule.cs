namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Expand(X, shape): X̄ = unreduce(Ȳ) to X's shape (§6.8); the shape input has no gradient.</summary>
public sealed class ElementwiseExpandRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Expand"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx) =>
        ctx.AddInputGradient(0, ctx.Unreduce(ctx.OutputGradient(0)!, ctx.Node.Input(0)));
}
