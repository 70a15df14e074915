using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>Which nodes read each value of a graph: for a value name, the indices of its readers (each node once, in graph order).</summary>
public static class ValueConsumers
{
    public static ILookup<string, int> Of(GraphProto graph) =>
        graph.Node.SelectMany((node, k) => node.Input.Where(i => i.Length > 0).Distinct().Select(i => (Value: i, Node: k)))
            .ToLookup(p => p.Value, p => p.Node, StringComparer.Ordinal);
}
