namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// A graph input that is a slice of the flat θ with a tensor's shape: the runner binds it to θ's own buffer at
/// <see cref="Offset"/> (no copy), so the graph needs no Split/Reshape nodes to unpack θ.
/// </summary>
public sealed record ThetaView(string InputName, int Offset, long[] Shape)
{
    public long Length => Shape.Aggregate(1L, (a, d) => a * d);
}
