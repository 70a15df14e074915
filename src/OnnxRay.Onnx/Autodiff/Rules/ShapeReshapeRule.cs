namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>VJP of the ops that only reinterpret the shape (Reshape, Flatten, Squeeze, Unsqueeze): X̄ = Reshape(Ȳ, Shape(X)).</summary>
public sealed class ShapeReshapeRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Reshape", "Flatten", "Squeeze", "Unsqueeze"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        var xShape = ctx.Shape(ctx.Node.Input(0));
        // allowzero=1: a literal 0 in the target shape must mean an empty axis, not "copy the input's size".
        ctx.AddInputGradient(0, ctx.Op("Reshape", [dy, ctx.ConstInt64(xShape)], Attr.Int("allowzero", xShape.Contains(0) ? 1 : 0)));
    }
}
