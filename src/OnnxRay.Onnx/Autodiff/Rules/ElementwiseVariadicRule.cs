namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Sum, Mean, Min, Max over any number of broadcasting inputs (§6.1). Min/Max route the gradient to the winner;
/// on ties the first input that equals the result gets it all (as PyTorch's two-input max would not split it either).
/// </summary>
public sealed class ElementwiseVariadicRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Sum", "Mean", "Min", "Max"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => true;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var y = node.Output(0);
        var type = ctx.ElementType(y);
        var n = node.InputCount;
        switch (node.OpType)
        {
            case "Sum":
                for (var i = 0; i < n; i++)
                    if (ctx.NeedsInputGradient(i)) ctx.AddInputGradient(i, ctx.Unreduce(dy, node.Input(i)));
                break;
            case "Mean":
                {
                    var scaled = ctx.Op("Div", [dy, ctx.ConstScalar(n, type)]);
                    for (var i = 0; i < n; i++)
                        if (ctx.NeedsInputGradient(i)) ctx.AddInputGradient(i, ctx.Unreduce(scaled, node.Input(i)));
                    break;
                }
            default:
                {
                    var zero = ctx.ConstScalar(0, type);
                    string? taken = null;
                    for (var i = 0; i < n; i++)
                    {
                        var wins = ctx.Op("Equal", [y, node.Input(i)]);
                        var mine = taken is null ? wins : ctx.Op("And", [wins, ctx.Op("Not", [taken])]);
                        if (ctx.NeedsInputGradient(i))
                            ctx.AddInputGradient(i, ctx.Unreduce(ctx.Op("Where", [mine, dy, zero]), node.Input(i)));
                        taken = taken is null ? wins : ctx.Op("Or", [taken, wins]);
                    }
                    break;
                }
        }
    }
}
