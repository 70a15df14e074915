using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// §3.2: replaces the θ initializers by one flat float input <c>theta</c>, split and reshaped back into tensors that keep
/// the initializers' names (so the forward nodes are unchanged), with a Cast where the initializer was not float32.
/// </summary>
public static class ThetaRewriter
{
    /// <summary>Name of the flat parameter input.</summary>
    public const string ThetaInput = "theta";

    /// <summary>
    /// Rewrites <paramref name="emitter"/>'s graph in place; the new nodes go to the front of the node list.
    /// Returns, per tensor, the name of its flat float32 slice of θ (before reshape and cast).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Rewrite(GraphEmitter emitter, ParameterLayout layout)
    {
        var graph = emitter.Graph;
        var names = layout.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
            if (names.Contains(graph.Initializer[i].Name)) graph.Initializer.RemoveAt(i);
        for (var i = graph.Input.Count - 1; i >= 0; i--)
            if (names.Contains(graph.Input[i].Name)) graph.Input.RemoveAt(i);
        graph.Input.Add(TensorInput(ThetaInput, OnnxType.Float, [layout.Dimension]));
        emitter.Types.Set(ThetaInput, [layout.Dimension], OnnxType.Float);

        var before = graph.Node.Count;
        var tensors = layout.Tensors;
        var parts = tensors.Count == 1
            ? [ThetaInput]
            : emitter.OpMulti("Split", [ThetaInput, emitter.ConstInt64(tensors.Select(t => (long)t.Length).ToArray())], tensors.Count, Attr.Int("axis", 0));
        for (var k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            emitter.Types.Set(parts[k], [t.Length], OnnxType.Float);
            var shaped = emitter.Op("Reshape", [parts[k], emitter.ConstInt64(t.Shape)]);
            var node = graph.Node[^1];
            if (t.ElementType != OnnxType.Float)
            {
                emitter.Op("Cast", [shaped], Attr.Int("to", t.ElementType));
                node = graph.Node[^1];
            }
            // The last node of the chain produces the tensor under its original name.
            node.Output[0] = t.Name;
            emitter.Types.Set(t.Name, t.Shape, t.ElementType);
        }
        var added = graph.Node.Skip(before).ToList();
        for (var i = 0; i < added.Count; i++) graph.Node.RemoveAt(graph.Node.Count - 1);
        for (var i = 0; i < added.Count; i++) graph.Node.Insert(i, added[i]);
        return tensors.Select((t, k) => (t.Name, parts[k])).ToDictionary(p => p.Name, p => p.Item2, StringComparer.Ordinal);
    }

    /// <summary>A graph input/output declaration with a static tensor type.</summary>
    public static ValueInfoProto TensorInput(string name, int elementType, long[] shape)
    {
        var shapeProto = new TensorShapeProto();
        foreach (var d in shape) shapeProto.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shapeProto } },
        };
    }
}
