namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Relu, LeakyRelu, PRelu, Clip, HardSigmoid (§6.2): masks built from the input (Relu: from its output), so the result is exact at kinks
/// (gradient 0 at x = 0 for Relu, passes at the bounds for Clip, as in PyTorch).
/// </summary>
public sealed class ActivationPiecewiseLinearRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Relu", "LeakyRelu", "PRelu", "Clip", "HardSigmoid"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0 || (node.OpType == "PRelu" && inputIndex == 1);

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var x = node.Input(0);
        var type = ctx.ElementType(node.Output(0));
        var zero = ctx.ConstScalar(0, type);
        switch (node.OpType)
        {
            case "Relu":
                // The mask from the output (y > 0 ⇔ x > 0) leaves x with one consumer, so ORT can fuse Conv/Gemm + Relu.
                ctx.AddInputGradient(0, ctx.Op("Where", [ctx.Op("Greater", [node.Output(0), zero]), dy, zero]));
                break;
            case "LeakyRelu":
                {
                    var alpha = ctx.ConstScalar(node.GetFloat("alpha", 0.01f), type);
                    ctx.AddInputGradient(0, ctx.Op("Where", [ctx.Op("Greater", [x, zero]), dy, ctx.Op("Mul", [dy, alpha])]));
                    break;
                }
            case "PRelu":
                {
                    var slope = node.Input(1);
                    var positive = ctx.Op("Greater", [x, zero]);
                    if (ctx.NeedsInputGradient(0))
                        ctx.AddInputGradient(0, ctx.Unreduce(ctx.Op("Where", [positive, dy, ctx.Op("Mul", [dy, slope])]), x));
                    if (ctx.NeedsInputGradient(1))
                        ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("Where", [positive, zero, ctx.Op("Mul", [dy, x])]), slope));
                    break;
                }
            case "Clip":
                {
                    string? mask = null;
                    if (node.HasInput(1)) mask = ctx.Op("GreaterOrEqual", [x, node.Input(1)]);
                    if (node.HasInput(2))
                    {
                        var upper = ctx.Op("LessOrEqual", [x, node.Input(2)]);
                        mask = mask is null ? upper : ctx.Op("And", [mask, upper]);
                    }
                    ctx.AddInputGradient(0, mask is null ? dy : ctx.Op("Where", [mask, dy, zero]));
                    break;
                }
            case "HardSigmoid":
                {
                    var alpha = ctx.ConstScalar(node.GetFloat("alpha", 0.2f), type);
                    var beta = ctx.ConstScalar(node.GetFloat("beta", 0.5f), type);
                    var z = ctx.Op("Add", [ctx.Op("Mul", [x, alpha]), beta]);
                    var inside = ctx.Op("And", [ctx.Op("Greater", [z, zero]), ctx.Op("Less", [z, ctx.ConstScalar(1, type)])]);
                    ctx.AddInputGradient(0, ctx.Op("Where", [inside, ctx.Op("Mul", [dy, alpha]), zero]));
                    break;
                }
        }
    }
}
