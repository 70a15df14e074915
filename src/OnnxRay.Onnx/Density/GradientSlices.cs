namespace OnnxRay.Onnx.Density;

/// <summary>
/// A graph output holding one parameter tensor's gradient in the tensor's shape: the runner binds it to the flat
/// gradient buffer at <see cref="Offset"/> (no copy), as a <see cref="Parameters.ThetaView"/> is bound to θ, so the graph
/// needs no Reshape/Concat nodes to pack the gradient.
/// </summary>
public sealed record GradientSlice(string OutputName, int Offset, long[] Shape)
{
    public long Length => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// How a density graph writes the likelihood's gradient into the flat gradient buffer [D]: one output per parameter
/// tensor with a gradient (<see cref="Slices"/>); the runner clears the <see cref="Unwritten"/> ranges after every run
/// (the buffer may hold anything there) and the <see cref="HostPrior"/> adds the prior's gradient.
/// </summary>
public sealed class GradientSlices(IReadOnlyList<GradientSlice> slices, IReadOnlyList<(int Offset, int Length)> unwritten)
{
    public static readonly GradientSlices None = new([], []);

    /// <summary>Graph outputs, one per parameter tensor with a non-zero gradient, in θ order.</summary>
    public IReadOnlyList<GradientSlice> Slices { get; } = slices;

    /// <summary>Ranges of θ no graph output covers (tensors with a structurally zero likelihood gradient).</summary>
    public IReadOnlyList<(int Offset, int Length)> Unwritten { get; } = unwritten;

    /// <summary>Zeroes the ranges the graph does not write (after every run).</summary>
    public void ClearUnwritten(Span<float> gradient)
    {
        foreach (var (offset, length) in Unwritten) gradient.Slice(offset, length).Clear();
    }
}
