namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Slice with any starts/ends/axes/steps (negative, clamped, INT64 sentinels, negative steps): the same Slice
/// applied to element positions says where each output element came from (<see cref="ShapeIndexMap"/>), and Ȳ is
/// scattered back there. Attribute-form Slice (opset &lt; 10) is re-emitted in input form.
/// </summary>
public sealed class ShapeSliceRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Slice"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        string x = node.Input(0);
        var xShape = ctx.Shape(x);
        string positions = ShapeIndexMap.Positions(ctx, xShape);

        List<string> inputs = [positions];
        if (node.Opset < 10)
        {
            var starts = node.GetInts("starts") ?? [];
            inputs.Add(ctx.ConstInt64(starts));
            inputs.Add(ctx.ConstInt64(node.GetInts("ends") ?? []));
            inputs.Add(ctx.ConstInt64(node.GetInts("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray()));
        }
        else
        {
            for (int i = 1; i < node.InputCount; i++) inputs.Add(node.Input(i));
        }
        string source = ctx.Op("Slice", inputs);
        ctx.AddInputGradient(0, ShapeIndexMap.ScatterAdd(ctx, dy, source, xShape, x, withSentinel: false));
    }
}
