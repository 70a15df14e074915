namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>VJP of GlobalAveragePool: X̄ = Expand(Ȳ / ∏spatial, Shape(X)).</summary>
public sealed class PoolGlobalAverageRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["GlobalAveragePool"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        var xShape = ctx.Shape(node.Input(0));
        long area = xShape.Skip(2).Aggregate(1L, (a, b) => a * b);
        string scaled = ctx.Op("Div", [dy, ctx.ConstScalar(area, ctx.ElementType(node.Input(0)))]);
        ctx.AddInputGradient(0, ctx.Op("Expand", [scaled, ctx.ConstInt64(xShape)]));
    }
}
