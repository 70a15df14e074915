using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Softmax, LogSoftmax and Hardmax before opset 13 coerce the input to 2-D at <c>axis</c> (default 1) and normalise
/// over all trailing dims. From 13 on they normalise over one axis (default −1). The upgrade is
/// Flatten(axis) → op(axis=1) → Reshape(Shape(X)), valid for any rank; when the rank is known and the axis is the
/// last one, the single-axis form is already equivalent.
/// </summary>
internal static class LegacySoftmax
{
    public static IEnumerable<NodeProto> Rewrite(NodeProto node, NormalizationContext context)
    {
        var axis = NodeAttributes.Take(node, "axis")?.I ?? 1;
        var x = node.Input[0];
        if (context.Ranks.Rank(x) is { } rank && rank > 0 && (axis == rank - 1 || axis == -1))
        {
            node.Attribute.Add(Attr.Int("axis", -1));
            return [node];
        }
        var hint = node.Name + "_legacy";
        var flat = context.NewName(x + "_flat");
        var normalized = context.NewName(node.Output[0] + "_2d");
        var shape = context.NewName(x + "_shape");
        var output = node.Output[0];
        node.Input[0] = flat;
        node.Output[0] = normalized;
        node.Attribute.Add(Attr.Int("axis", 1));
        return
        [
            context.Node("Flatten", hint, [x], [flat], Attr.Int("axis", axis)),
            node,
            context.Node("Shape", hint, [x], [shape]),
            context.Node("Reshape", hint, [normalized, shape], [output]),
        ];
    }
}
