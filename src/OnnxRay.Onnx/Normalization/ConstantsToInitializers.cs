using Google.Protobuf;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Turns every Constant node of the main graph into an initializer named after its output, so constants and
/// weights are found in one place. Constant outputs are recorded as non-trainable (metadata on the tensor).
/// </summary>
internal static class ConstantsToInitializers
{
    /// <summary>Metadata key set to "true" on initializers that came from Constant nodes (never trainable).</summary>
    public const string FromConstantKey = "onnxray.from_constant";

    public static void Apply(GraphProto graph, string modelPath)
    {
        var kept = new List<NodeProto>();
        foreach (var node in graph.Node)
        {
            if (node.OpType != "Constant" || !OnnxModel.IsDefaultDomain(node.Domain)) { kept.Add(node); continue; }
            var tensor = ToTensor(node, modelPath);
            tensor.Name = node.Output[0];
            tensor.MetadataProps.Add(new StringStringEntryProto { Key = FromConstantKey, Value = "true" });
            graph.Initializer.Add(tensor);
        }
        graph.Node.Clear();
        graph.Node.AddRange(kept);
    }

    private static TensorProto ToTensor(NodeProto node, string modelPath)
    {
        if (node.Attribute.Count != 1)
            throw new OnnxFormatException(modelPath, $"Constant node '{node.Name}' must have exactly one value attribute, has {node.Attribute.Count}");
        var a = node.Attribute[0];
        switch (a.Name)
        {
            case "value" when a.T is not null: return a.T.Clone();
            case "value_float": return TensorData.FromFloats("", [], [a.F]);
            case "value_floats": return TensorData.FromFloats("", [a.Floats.Count], a.Floats.ToArray());
            case "value_int": return TensorData.FromInt64s("", [], [a.I]);
            case "value_ints": return TensorData.FromInt64s("", [a.Ints.Count], a.Ints.ToArray());
            case "value_string":
                {
                    var t = new TensorProto { DataType = (int)DataType.String };
                    t.StringData.Add(a.S);
                    return t;
                }
            case "value_strings":
                {
                    var t = new TensorProto { DataType = (int)DataType.String };
                    t.Dims.Add(a.Strings.Count);
                    t.StringData.AddRange(a.Strings);
                    return t;
                }
            default:
                throw new UnsupportedOperatorException(modelPath,
                    [new UnsupportedNode("Constant", node.Domain, node.Name, 0, $"attribute '{a.Name}' (e.g. a sparse constant) is not supported; export a dense constant")],
                    ["Constant(value, value_float(s), value_int(s), value_string(s))"]);
        }
    }
}
