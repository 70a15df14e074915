namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Add, Sub, Mul, Div, Neg with numpy broadcasting (§6.1); broadcast operands are unreduced.</summary>
public sealed class ElementwiseArithmeticRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Add", "Sub", "Mul", "Div", "Neg"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var a = node.Input(0);
        var b = node.Input(1);
        switch (node.OpType)
        {
            case "Neg":
                ctx.AddInputGradient(0, ctx.Op("Neg", [dy]));
                break;
            case "Add":
                if (ctx.NeedsInputGradient(0)) ctx.AddInputGradient(0, ctx.Unreduce(dy, a));
                if (ctx.NeedsInputGradient(1)) ctx.AddInputGradient(1, ctx.Unreduce(dy, b));
                break;
            case "Sub":
                if (ctx.NeedsInputGradient(0)) ctx.AddInputGradient(0, ctx.Unreduce(dy, a));
                if (ctx.NeedsInputGradient(1)) ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("Neg", [dy]), b));
                break;
            case "Mul":
                if (ctx.NeedsInputGradient(0)) ctx.AddInputGradient(0, ctx.Unreduce(ctx.Op("Mul", [dy, b]), a));
                if (ctx.NeedsInputGradient(1)) ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("Mul", [dy, a]), b));
                break;
            case "Div":
                if (ctx.NeedsInputGradient(0)) ctx.AddInputGradient(0, ctx.Unreduce(ctx.Op("Div", [dy, b]), a));
                if (ctx.NeedsInputGradient(1))
                {
                    // d(a/b)/db = −y/b
                    var t = ctx.Op("Div", [ctx.Op("Mul", [dy, node.Output(0)]), b]);
                    ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("Neg", [t]), b));
                }
                break;
        }
    }
}
