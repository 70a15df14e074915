using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// What a small forward propagation knows about each value: its rank and element type (either may be unknown).
/// Enough to rewrite legacy axis-aligned broadcasting and legacy Softmax without full shape inference.
/// </summary>
internal sealed class RankTable
{
    private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _constantInts = new(StringComparer.Ordinal);

    public int? Rank(string name) => _ranks.TryGetValue(name, out var r) ? r : null;
    public int? ElementType(string name) => _types.TryGetValue(name, out var t) ? t : null;

    /// <summary>Values of small integer initializers (e.g. Reshape shapes), for rank propagation.</summary>
    public long[]? ConstantInts(string name) => _constantInts.GetValueOrDefault(name);

    public void Set(string name, int? rank, int? elementType)
    {
        if (string.IsNullOrEmpty(name)) return;
        if (rank is { } r && r >= 0) _ranks[name] = r;
        if (elementType is { } t && t > 0) _types[name] = t;
    }

    /// <summary>Ranks and types from graph inputs, outputs, value_info and initializers, then propagated through the nodes.</summary>
    public static RankTable Build(GraphProto graph)
    {
        var table = new RankTable();
        foreach (var info in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
            if (info.Type?.TensorType is { } tt)
                table.Set(info.Name, tt.Shape is null ? null : tt.Shape.Dim.Count, tt.ElemType);
        foreach (var t in graph.Initializer)
        {
            table.Set(t.Name, t.Dims.Count, t.DataType);
            if (t.DataType is (int)TensorProto.Types.DataType.Int64 && t.Dims.Count == 1 && t.Dims[0] <= 16)
            {
                try { table._constantInts[t.Name] = TensorData.ReadInt64s(null, t); }
                catch (Errors.OnnxRayException) { /* external or malformed: just unknown */ }
            }
        }
        foreach (var node in graph.Node) RankPropagation.Apply(table, node);
        return table;
    }
}
