namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Pow, Sqrt, Exp, Log, Abs, Reciprocal (§6.1).</summary>
public sealed class ElementwiseMathRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Pow", "Sqrt", "Exp", "Log", "Abs", "Reciprocal"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0 || (node.OpType == "Pow" && inputIndex == 1);

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var x = node.Input(0);
        var y = node.Output(0);
        var type = ctx.ElementType(y);
        switch (node.OpType)
        {
            case "Sqrt":
                ctx.AddInputGradient(0, ctx.Op("Div", [ctx.Op("Mul", [dy, ctx.ConstScalar(0.5, type)]), y]));
                break;
            case "Exp":
                ctx.AddInputGradient(0, ctx.Op("Mul", [dy, y]));
                break;
            case "Log":
                ctx.AddInputGradient(0, ctx.Op("Div", [dy, x]));
                break;
            case "Abs":
                ctx.AddInputGradient(0, ctx.Op("Mul", [dy, ctx.Op("Sign", [x])]));
                break;
            case "Reciprocal":
                ctx.AddInputGradient(0, ctx.Op("Neg", [ctx.Op("Mul", [ctx.Op("Mul", [dy, y]), y])]));
                break;
            case "Pow":
                EmitPow(ctx, dy, x, node.Input(1), y, type);
                break;
        }
    }

    private static void EmitPow(GradientContext ctx, string dy, string x, string e, string y, int type)
    {
        if (ctx.NeedsInputGradient(0))
        {
            var exponent = ctx.ElementType(e) == type ? e : ctx.Op("Cast", [e], Attr.Int("to", type));
            var power = ctx.Op("Pow", [x, ctx.Op("Sub", [exponent, ctx.ConstScalar(1, type)])]);
            var dx = ctx.Op("Mul", [ctx.Op("Mul", [dy, exponent]), power]);
            ctx.AddInputGradient(0, ctx.Unreduce(dx, x));
        }
        if (ctx.NeedsInputGradient(1))
        {
            // Defined for x > 0 (as in PyTorch, NaN elsewhere).
            var de = ctx.Op("Mul", [ctx.Op("Mul", [dy, y]), ctx.Op("Log", [x])]);
            ctx.AddInputGradient(1, ctx.Unreduce(de, e));
        }
    }
}
