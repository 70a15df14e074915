namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Where(c, A, B): the gradient goes to A where c holds and to B elsewhere; c has none (§6.8).</summary>
public sealed class ElementwiseWhereRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Where"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 1 or 2;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var zero = ctx.ConstScalar(0, ctx.ElementType(node.Output(0)));
        if (ctx.NeedsInputGradient(1))
            ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("Where", [node.Input(0), dy, zero]), node.Input(1)));
        if (ctx.NeedsInputGradient(2))
            ctx.AddInputGradient(2, ctx.Unreduce(ctx.Op("Where", [node.Input(0), zero, dy]), node.Input(2)));
    }
}
