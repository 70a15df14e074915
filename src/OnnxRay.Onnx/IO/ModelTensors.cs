using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.IO;

/// <summary>Enumerates every TensorProto a model holds: initializers, sparse-initializer parts and attribute tensors, in subgraphs and functions too.</summary>
public static class ModelTensors
{
    public static IEnumerable<TensorProto> All(ModelProto model)
    {
        if (model.Graph is not null)
            foreach (var t in InGraph(model.Graph)) yield return t;
        foreach (var function in model.Functions)
            foreach (var node in function.Node)
                foreach (var t in InNode(node)) yield return t;
    }

    public static IEnumerable<TensorProto> InGraph(GraphProto graph)
    {
        foreach (var t in graph.Initializer) yield return t;
        foreach (var sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null) yield return sparse.Values;
            if (sparse.Indices is not null) yield return sparse.Indices;
        }
        foreach (var node in graph.Node)
            foreach (var t in InNode(node)) yield return t;
    }

    private static IEnumerable<TensorProto> InNode(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.T is not null) yield return attribute.T;
            foreach (var t in attribute.Tensors) yield return t;
            if (attribute.G is not null)
                foreach (var t in InGraph(attribute.G)) yield return t;
            foreach (var g in attribute.Graphs)
                foreach (var t in InGraph(g)) yield return t;
        }
    }
}
