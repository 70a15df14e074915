namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>VJP of Concat: each input's gradient is its slab of Ȳ along the concatenation axis (one Slice per input that needs it).</summary>
public sealed class ShapeConcatRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Concat"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => true;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null) return;
        int rank = ctx.Shape(node.Output(0)).Length;
        long axis = node.GetInt("axis", 0);
        if (axis < 0) axis += rank;
        string axes = ctx.ConstInt64(axis);
        long offset = 0;
        for (int i = 0; i < node.InputCount; i++)
        {
            long size = ctx.Shape(node.Input(i))[axis];
            if (ctx.NeedsInputGradient(i))
                ctx.AddInputGradient(i, ctx.Op("Slice", [dy, ctx.ConstInt64(offset), ctx.ConstInt64(offset + size), axes]));
            offset += size;
        }
    }
}
