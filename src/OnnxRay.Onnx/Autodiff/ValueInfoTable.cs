namespace OnnxRay.Onnx.Autodiff;

/// <summary>Static shape and ONNX element type of one graph value.</summary>
public readonly record struct StaticValue(long[] Shape, int ElementType)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
    public override string ToString() => $"{ElementType}[{string.Join(",", Shape)}]";
}

/// <summary>Shapes and element types of graph values, filled by the probe run and by emitters that know their outputs.</summary>
public sealed class ValueInfoTable
{
    private readonly Dictionary<string, StaticValue> _types = new(StringComparer.Ordinal);

    public void Set(string name, long[] shape, int elementType) => _types[name] = new StaticValue(shape, elementType);

    public bool TryGet(string name, out StaticValue type) => _types.TryGetValue(name, out type);

    public StaticValue? Find(string name) => _types.TryGetValue(name, out var t) ? t : null;

    public bool Contains(string name) => _types.ContainsKey(name);

    public IEnumerable<string> Names => _types.Keys;
}
