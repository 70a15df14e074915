using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Opset ≤ 6 binary ops broadcast B onto A with <c>broadcast=1</c> and an optional <c>axis</c>: B's dims match
/// A's dims starting at <c>axis</c>. From opset 7 on, broadcasting is numpy-style (trailing alignment), so an
/// axis-aligned B needs trailing 1-dims: Unsqueeze when ranks are known, else a Reshape computed in-graph.
/// </summary>
internal static class LegacyBroadcast
{
    public static IEnumerable<NodeProto> Rewrite(NodeProto node, NormalizationContext context)
    {
        var broadcast = NodeAttributes.Take(node, "broadcast");
        var axis = NodeAttributes.Take(node, "axis");
        if (broadcast is null || broadcast.I == 0 || axis is null || node.Input.Count < 2) return [node];
        return AlignOperand(node, 1, axis.I, context);
    }

    /// <summary>Legacy PRelu (opset &lt; 7) applies a 1-D slope per channel (axis 1); numpy broadcasting would align it with the last axis.</summary>
    public static IEnumerable<NodeProto> RewritePRelu(NodeProto node, NormalizationContext context)
    {
        if (node.Input.Count < 2 || context.Ranks.Rank(node.Input[1]) != 1) return [node];
        return AlignOperand(node, 1, 1, context);
    }

    /// <summary>Gives input <paramref name="operand"/> trailing 1-dims so that numpy broadcasting aligns it with input 0 at <paramref name="axis"/>.</summary>
    private static IEnumerable<NodeProto> AlignOperand(NodeProto node, int operand, long axis, NormalizationContext context)
    {
        var a = node.Input[0];
        var b = node.Input[operand];
        var rankA = context.Ranks.Rank(a);
        var rankB = context.Ranks.Rank(b);
        if (axis < 0)
        {
            if (rankA is null)
                throw new UnsupportedOperatorException(context.ModelPath,
                    [new UnsupportedNode(node.OpType, node.Domain, node.Name, context.SourceOpset, $"legacy broadcast with negative axis {axis} on an input of unknown rank")],
                    GradientRuleRegistry.Default.SupportedOps);
            axis += rankA.Value;
        }
        var aligned = context.NewName(b + "_aligned");
        if (rankA is { } ra && rankB is { } rb)
        {
            var trailing = ra - axis - rb;
            if (trailing <= 0) return [node];
            var axes = context.AddInt64s(b + "_unsqueeze_axes", Enumerable.Range(rb, (int)trailing).Select(i => (long)i).ToArray());
            node.Input[operand] = aligned;
            return [context.Node("Unsqueeze", node.Name + "_align", [b, axes], [aligned]), node];
        }

        // Rank unknown at load time: new shape = Concat(Shape(B), ones(rank(A) − axis − rank(B))).
        var shapeA = context.NewName(a + "_shape");
        var rankAName = context.NewName(a + "_rank");
        var shapeB = context.NewName(b + "_shape");
        var rankBName = context.NewName(b + "_rank");
        var afterAxis = context.NewName(b + "_after_axis");
        var padCount = context.NewName(b + "_pad_count");
        var padCountVector = context.NewName(b + "_pad_count_1d");
        var ones = context.NewName(b + "_ones");
        var newShape = context.NewName(b + "_new_shape");
        var axisName = context.AddInt64s(b + "_axis", [axis], scalar: true);
        var oneDim = context.AddInt64s(b + "_one_dim", [1]);
        var hint = node.Name + "_align";
        node.Input[operand] = aligned;
        return
        [
            context.Node("Shape", hint, [a], [shapeA]),
            context.Node("Size", hint, [shapeA], [rankAName]),
            context.Node("Shape", hint, [b], [shapeB]),
            context.Node("Size", hint, [shapeB], [rankBName]),
            context.Node("Sub", hint, [rankAName, axisName], [afterAxis]),
            context.Node("Sub", hint, [afterAxis, rankBName], [padCount]),
            context.Node("Reshape", hint, [padCount, oneDim], [padCountVector]),
            context.Node("ConstantOfShape", hint, [padCountVector], [ones], Attr.Tensor("value", TensorData.FromInt64s("one", [1], [1]))),
            context.Node("Concat", hint, [shapeB, ones], [newShape], Attr.Int("axis", 0)),
            context.Node("Reshape", hint, [b, newShape], [aligned]),
            node,
        ];
    }
}
