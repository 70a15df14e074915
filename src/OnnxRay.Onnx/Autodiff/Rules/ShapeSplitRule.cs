namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Split (split input, split attribute or num_outputs): X̄ = Concat(Ȳ_i) along the axis, where outputs that
/// receive no gradient contribute zeros of their shape.
/// </summary>
public sealed class ShapeSplitRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Split"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        if (!ctx.NeedsInputGradient(0)) return;
        var outputs = Enumerable.Range(0, node.OutputCount).Where(i => node.Output(i).Length > 0).ToArray();
        if (outputs.All(i => ctx.OutputGradient(i) is null)) return;
        int rank = ctx.Shape(node.Input(0)).Length;
        long axis = node.GetInt("axis", 0);
        if (axis < 0) axis += rank;
        var parts = outputs.Select(ctx.OutputGradientOrZeros).ToArray();
        ctx.AddInputGradient(0, parts.Length == 1 ? parts[0] : ctx.Op("Concat", parts, Attr.Int("axis", axis)));
    }
}
