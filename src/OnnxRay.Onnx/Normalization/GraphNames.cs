using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>Every value and node name used in a graph, including nested subgraphs (for collision-free renaming).</summary>
internal static class GraphNames
{
    public static IEnumerable<string> All(GraphProto graph)
    {
        foreach (var v in graph.Input) yield return v.Name;
        foreach (var v in graph.Output) yield return v.Name;
        foreach (var v in graph.ValueInfo) yield return v.Name;
        foreach (var t in graph.Initializer) yield return t.Name;
        foreach (var node in graph.Node)
        {
            yield return node.Name;
            foreach (var n in node.Input) yield return n;
            foreach (var n in node.Output) yield return n;
            foreach (var a in node.Attribute)
            {
                if (a.G is not null)
                    foreach (var n in All(a.G)) yield return n;
                foreach (var g in a.Graphs)
                    foreach (var n in All(g)) yield return n;
            }
        }
    }
}
