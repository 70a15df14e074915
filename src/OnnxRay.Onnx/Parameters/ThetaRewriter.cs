using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// §3.2: replaces the θ initializers by graph inputs that are views of one flat float input <c>theta</c>: each tensor
/// becomes an input of its own shape, bound by the runner to its slice of θ's buffer, under the initializer's name (so
/// the forward nodes are unchanged), with a Cast where the initializer was not float32. Unpacking θ thus costs no
/// nodes at all (per-node overhead dominates small models); <c>theta</c> itself stays an input for whole-θ terms (the prior).
/// </summary>
public static class ThetaRewriter
{
    /// <summary>Name of the flat parameter input.</summary>
    public const string ThetaInput = "theta";

    /// <summary>
    /// Rewrites <paramref name="emitter"/>'s graph in place (new nodes, the Casts, go to the front of the node list) and
    /// returns the views the runner must bind, in θ order.
    /// </summary>
    public static IReadOnlyList<ThetaView> Rewrite(GraphEmitter emitter, ParameterLayout layout)
    {
        var graph = emitter.Graph;
        var names = layout.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
            if (names.Contains(graph.Initializer[i].Name)) graph.Initializer.RemoveAt(i);
        for (var i = graph.Input.Count - 1; i >= 0; i--)
            if (names.Contains(graph.Input[i].Name)) graph.Input.RemoveAt(i);
        graph.Input.Add(TensorInput(ThetaInput, OnnxType.Float, [layout.Dimension]));
        emitter.Types.Set(ThetaInput, [layout.Dimension], OnnxType.Float);

        var views = new List<ThetaView>();
        var casts = new List<NodeProto>();
        foreach (var t in layout.Tensors)
        {
            var input = t.ElementType == OnnxType.Float ? t.Name : emitter.Names.Next("theta_view");
            graph.Input.Add(TensorInput(input, OnnxType.Float, t.Shape));
            emitter.Types.Set(input, t.Shape, OnnxType.Float);
            views.Add(new ThetaView(input, t.Offset, t.Shape));
            if (input != t.Name)
            {
                emitter.Op("Cast", [input], Attr.Int("to", t.ElementType));
                var cast = graph.Node[^1];
                graph.Node.RemoveAt(graph.Node.Count - 1);
                cast.Output[0] = t.Name;
                casts.Add(cast);
            }
            emitter.Types.Set(t.Name, t.Shape, t.ElementType);
        }
        for (var i = 0; i < casts.Count; i++) graph.Node.Insert(i, casts[i]);
        return views;
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
