using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Pad in constant mode (positive and negative pads, optional axes input): the same Pad applied to element
/// positions, with the padding filled by a sentinel position, routes Ȳ back (<see cref="ShapeIndexMap"/>); padded
/// cells are dropped. reflect/edge/wrap are rejected. Only the data input carries gradient.
/// </summary>
public sealed class ShapePadRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Pad"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public string? CheckSupported(NodeView node)
    {
        var mode = node.GetString("mode", "constant");
        return mode == "constant"
            ? null
            : $"Pad mode '{mode}' has no gradient rule (only mode 'constant' is supported); mirrored/edge padding needs a scatter of repeated positions";
    }

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        string x = node.Input(0);
        var xShape = ctx.Shape(x);
        long count = xShape.Aggregate(1L, (a, b) => a * b);
        string positions = ShapeIndexMap.Positions(ctx, xShape);
        string sentinel = ctx.ConstScalar(count, OnnxType.Int64);

        string pads = node.Opset < 11 ? ctx.ConstInt64(node.GetInts("pads") ?? new long[2 * xShape.Length]) : node.Input(1);
        List<string> inputs = [positions, pads, sentinel];
        if (node.Opset >= 11 && node.HasInput(3)) inputs.Add(node.Input(3));
        string source = ctx.Op("Pad", inputs, Attr.String("mode", "constant"));
        ctx.AddInputGradient(0, ShapeIndexMap.ScatterAdd(ctx, dy, source, xShape, x, withSentinel: true));
    }
}
