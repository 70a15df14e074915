using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Rewrites every default-domain node from the model's opset to the forms of opset 18 (onnx-gradients.md §2):
/// attributes that became inputs are turned into INT64/scalar initializers, removed attributes are dropped,
/// legacy broadcasting and legacy Softmax semantics are made explicit.
/// </summary>
internal static class OpsetUpgrader
{
    public const long TargetOpset = 18;

    private static readonly HashSet<string> LegacyBroadcastOps = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less",
    };

    private static readonly HashSet<string> SoftmaxFamily = new(StringComparer.Ordinal) { "Softmax", "LogSoftmax", "Hardmax" };

    public static void Apply(NormalizationContext context)
    {
        var graph = context.Graph;
        var consumed = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).Where(n => n.Length > 0)
            .ToHashSet(StringComparer.Ordinal);
        var result = new List<NodeProto>();
        foreach (var node in graph.Node.ToList())
        {
            if (!OnnxModel.IsDefaultDomain(node.Domain)) { result.Add(node); continue; }
            node.Domain = "";
            NodeAttributes.Remove(node, "consumed_inputs"); // removed at opset 6, meaningless since
            result.AddRange(Upgrade(node, context, consumed));
        }
        graph.Node.Clear();
        graph.Node.AddRange(result);
    }

    private static IEnumerable<NodeProto> Upgrade(NodeProto node, NormalizationContext context, HashSet<string> consumed)
    {
        var v = context.SourceOpset;
        var op = node.OpType;
        if (v < 7 && LegacyBroadcastOps.Contains(op)) return LegacyBroadcast.Rewrite(node, context);
        if (v < 7 && op == "PRelu") return LegacyBroadcast.RewritePRelu(node, context);
        if (v < 13 && SoftmaxFamily.Contains(op)) return LegacySoftmax.Rewrite(node, context);
        switch (op)
        {
            case "Gemm" when v < 7:
                NodeAttributes.Remove(node, "broadcast");
                break;
            case "ReduceSum" when v < 13:
            case "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2" or "ReduceLogSum"
                or "ReduceLogSumExp" or "ReduceSumSquare" when v < 18:
            case "Squeeze" or "Unsqueeze" when v < 13:
                MoveIntsToInput(node, "axes", 1, context);
                break;
            case "Split":
                if (v < 13) MoveIntsToInput(node, "split", 1, context);
                if (v < 18 && (node.Input.Count < 2 || node.Input[1].Length == 0))
                    node.Attribute.Add(Attr.Int("num_outputs", node.Output.Count));
                break;
            case "Slice" when v < 10:
                MoveIntsToInput(node, "starts", 1, context, required: true);
                MoveIntsToInput(node, "ends", 2, context, required: true);
                MoveIntsToInput(node, "axes", 3, context);
                break;
            case "Pad" when v < 11:
                UpgradePad(node, context);
                break;
            case "Clip" when v < 11:
                MoveScalarToInput(node, "min", 1, context);
                MoveScalarToInput(node, "max", 2, context);
                NodeAttributes.TrimTrailingEmptyInputs(node);
                break;
            case "Reshape" when v < 5:
                MoveIntsToInput(node, "shape", 1, context, required: true);
                break;
            case "TopK" when v < 10:
                if (NodeAttributes.Take(node, "k") is { } k) NodeAttributes.SetInput(node, 1, context.AddInt64s(node.Output[0] + "_k", [k.I]));
                break;
            case "Concat" when v < 4 && NodeAttributes.Find(node, "axis") is null:
                node.Attribute.Add(Attr.Int("axis", 1)); // the old default
                break;
            case "Cast" when v < 6:
                UpgradeCast(node, context);
                break;
            case "Scatter" when v < 11:
                node.OpType = "ScatterElements"; // Scatter was renamed (same semantics) and removed at 11
                break;
            case "Dropout" when v < 12:
                return UpgradeDropout(node, context);
            case "BatchNormalization":
                UpgradeBatchNormalization(node, context, consumed);
                break;
        }
        if (op is "Dropout" or "BatchNormalization") NodeAttributes.Remove(node, "is_test");
        return [node];
    }

    /// <summary>Replaces an INTS attribute by an INT64 initializer at input <paramref name="index"/>.</summary>
    private static void MoveIntsToInput(NodeProto node, string attribute, int index, NormalizationContext context, bool required = false)
    {
        var a = NodeAttributes.Take(node, attribute);
        if (a is null)
        {
            if (required) throw Unsupported(node, context, $"the required attribute '{attribute}' is missing");
            return;
        }
        NodeAttributes.SetInput(node, index, context.AddInt64s($"{node.Output[0]}_{attribute}", a.Ints.ToArray()));
    }

    /// <summary>Replaces a FLOAT attribute by a scalar initializer of the data input's element type ("" when absent).</summary>
    private static void MoveScalarToInput(NodeProto node, string attribute, int index, NormalizationContext context)
    {
        var a = NodeAttributes.Take(node, attribute);
        var type = context.Ranks.ElementType(node.Input[0]) ?? (int)DataType.Float;
        NodeAttributes.SetInput(node, index, a is null ? "" : context.AddScalar($"{node.Output[0]}_{attribute}", type, a.F));
    }

    private static void UpgradePad(NodeProto node, NormalizationContext context)
    {
        var pads = NodeAttributes.Take(node, "pads") ?? NodeAttributes.Take(node, "paddings")
            ?? throw Unsupported(node, context, "the 'pads' attribute is missing");
        NodeAttributes.SetInput(node, 1, context.AddInt64s(node.Output[0] + "_pads", pads.Ints.ToArray()));
        if (NodeAttributes.Take(node, "value") is { } value && value.F != 0f)
        {
            var type = context.Ranks.ElementType(node.Input[0]) ?? (int)DataType.Float;
            NodeAttributes.SetInput(node, 2, context.AddScalar(node.Output[0] + "_constant_value", type, value.F));
        }
    }

    private static void UpgradeCast(NodeProto node, NormalizationContext context)
    {
        var to = NodeAttributes.Find(node, "to");
        if (to is null || to.Type == AttributeProto.Types.AttributeType.Int || to.S.IsEmpty) return;
        var name = to.S.ToStringUtf8().Replace("_", "");
        if (!Enum.TryParse<DataType>(name, ignoreCase: true, out var type))
            throw Unsupported(node, context, $"Cast to unknown type name '{to.S.ToStringUtf8()}'");
        node.Attribute.Remove(to);
        node.Attribute.Add(Attr.Int("to", (long)type));
    }

    /// <summary>
    /// Dropout &lt; 12: drop ratio/is_test (inference Dropout is the identity; training_mode defaults to false).
    /// A used mask output was float before opset 10 and is bool since; a Cast keeps its old type for consumers.
    /// </summary>
    private static IEnumerable<NodeProto> UpgradeDropout(NodeProto node, NormalizationContext context)
    {
        NodeAttributes.Remove(node, "ratio", "is_test");
        if (node.Output.Count < 2 || node.Output[1].Length == 0 || context.SourceOpset >= 10) return [node];
        var mask = node.Output[1];
        var boolMask = context.NewName(mask + "_bool");
        node.Output[1] = boolMask;
        var type = context.Ranks.ElementType(node.Input[0]) ?? (int)DataType.Float;
        return [node, context.Node("Cast", node.Name + "_mask", [boolMask], [mask], Attr.Int("to", type))];
    }

    /// <summary>
    /// BatchNormalization: drop spatial (&lt; 9; only spatial=1 is expressible), is_test (&lt; 7) and running-statistics
    /// outputs nobody reads (inference mode at opset 18 has one output).
    /// </summary>
    private static void UpgradeBatchNormalization(NodeProto node, NormalizationContext context, HashSet<string> consumed)
    {
        if (NodeAttributes.Take(node, "spatial") is { I: 0 })
            throw Unsupported(node, context, "spatial=0 (per-activation statistics) has no opset-18 equivalent");
        var training = NodeAttributes.Find(node, "training_mode") is { I: not 0 } || NodeAttributes.Find(node, "is_test") is { I: 0 } && node.Output.Count > 1;
        if (training)
            throw Unsupported(node, context, "training-mode BatchNormalization (batch statistics) is not supported; export the model in eval mode");
        for (var i = node.Output.Count - 1; i >= 1; i--)
        {
            if (node.Output[i].Length > 0 && consumed.Contains(node.Output[i]))
                throw Unsupported(node, context, $"output '{node.Output[i]}' (running statistics) is used, which requires training mode");
            node.Output.RemoveAt(i);
        }
    }

    private static UnsupportedOperatorException Unsupported(NodeProto node, NormalizationContext context, string reason) =>
        new(context.ModelPath, [new UnsupportedNode(node.OpType, node.Domain, node.Name, context.SourceOpset, reason)],
            GradientRuleRegistry.Default.SupportedOps);
}
