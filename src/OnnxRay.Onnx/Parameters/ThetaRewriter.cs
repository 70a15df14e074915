using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// §3.2: replaces the θ initializers by graph inputs that are views of one flat float θ buffer: each tensor becomes an
/// input of its own shape, bound by the runner to its slice of that buffer, under the initializer's name (so the
/// forward nodes are unchanged), with a Cast where the initializer was not float32. Unpacking θ thus costs no nodes at
/// all (per-node overhead dominates small models); whole-θ terms (the prior) are computed by the host on the buffer.
/// </summary>
public static class ThetaRewriter
{
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

        var views = AddViewInputs(graph, layout.Tensors, _ => emitter.Names.Next("theta_view"));
        foreach (var (view, t) in views.Zip(layout.Tensors))
        {
            emitter.Types.Set(view.InputName, t.Shape, OnnxType.Float);
            emitter.Types.Set(t.Name, t.Shape, t.ElementType);
        }
        return views;
    }

    /// <summary>
    /// Adds one float32 graph input per tensor, shaped like it and named as it, so the nodes that read the initializer
    /// are unchanged. A tensor that was not float32 gets an input named by <paramref name="castInputName"/> and a Cast
    /// back to its name and type (the Casts go to the front of the node list). Returns the views in tensor order.
    /// </summary>
    internal static List<ThetaView> AddViewInputs(GraphProto graph, IEnumerable<ParameterTensor> tensors, Func<ParameterTensor, string> castInputName)
    {
        var views = new List<ThetaView>();
        var casts = new List<NodeProto>();
        foreach (var t in tensors)
        {
            var input = t.ElementType == OnnxType.Float ? t.Name : castInputName(t);
            graph.Input.Add(TensorInput(input, OnnxType.Float, t.Shape));
            views.Add(new ThetaView(input, t.Offset, t.Shape));
            if (input == t.Name) continue;
            var cast = new NodeProto { OpType = "Cast", Name = "onnxray_cast_" + t.Name };
            cast.Input.Add(input);
            cast.Output.Add(t.Name);
            cast.Attribute.Add(Attr.Int("to", t.ElementType));
            casts.Add(cast);
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
