using Google.Protobuf;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Shared state of one normalisation pass over a graph: collision-free names, the constants it adds as
/// initializers, and what is known about value ranks and element types.
/// </summary>
internal sealed class NormalizationContext
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public NormalizationContext(GraphProto graph, string modelPath, long sourceOpset)
    {
        Graph = graph;
        ModelPath = modelPath;
        SourceOpset = sourceOpset;
        foreach (var name in GraphNames.All(graph)) _names.Add(name);
    }

    public GraphProto Graph { get; }
    public string ModelPath { get; }

    /// <summary>The default-domain opset the graph was written for.</summary>
    public long SourceOpset { get; }

    /// <summary>Ranks and element types known before rewriting (from inputs, initializers, value_info and propagation).</summary>
    public RankTable Ranks { get; set; } = new();

    /// <summary>A name not used anywhere in the graph, derived from <paramref name="hint"/>.</summary>
    public string NewName(string hint)
    {
        string candidate;
        do candidate = $"{hint}__norm{_counter++}";
        while (!_names.Add(candidate));
        return candidate;
    }

    /// <summary>Reserves an existing name so later generated names avoid it.</summary>
    public void Reserve(string name) => _names.Add(name);

    /// <summary>Adds an INT64 initializer (rank 1, or a scalar when <paramref name="scalar"/>) and returns its name.</summary>
    public string AddInt64s(string hint, long[] values, bool scalar = false)
    {
        var name = NewName(hint);
        Graph.Initializer.Add(TensorData.FromInt64s(name, scalar ? [] : [values.Length], values));
        return name;
    }

    /// <summary>Adds a scalar initializer of the given element type holding <paramref name="value"/>.</summary>
    public string AddScalar(string hint, int dataType, double value)
    {
        var name = NewName(hint);
        var tensor = dataType switch
        {
            (int)TensorProto.Types.DataType.Double => TensorData.FromDoubles(name, [], [value]),
            (int)TensorProto.Types.DataType.Float16 => HalfScalar(name, value),
            (int)TensorProto.Types.DataType.Int64 => TensorData.FromInt64s(name, [], [(long)value]),
            (int)TensorProto.Types.DataType.Int32 => TensorData.FromInt32s(name, [], [(int)value]),
            _ => TensorData.FromFloats(name, [], [(float)value]),
        };
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A new node with a unique name derived from the node it replaces.</summary>
    public NodeProto Node(string opType, string nameHint, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName(string.IsNullOrEmpty(nameHint) ? opType : nameHint) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static TensorProto HalfScalar(string name, double value)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float16 };
        t.RawData = ByteString.CopyFrom(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)value)));
        return t;
    }
}
