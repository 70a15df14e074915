using System.Numerics.Tensors;

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
/// How a density graph's gradient ∇θ log p [D] is assembled: the graph writes the likelihood's gradient of each
/// parameter tensor into its <see cref="Slices"/>; <see cref="Complete"/> then, on the host, zeroes the ranges the
/// graph does not write (tensors with a structurally zero gradient) and adds the prior's gradient −w·p·θ, one
/// vectorised multiply-add per <see cref="PriorSegments"/> entry (per-node overhead of ORT is ~1 µs, the host loop is
/// a fraction of that at small D and the same memory pass as a graph Add at large D).
/// </summary>
public sealed class GradientSlices(IReadOnlyList<GradientSlice> slices, IReadOnlyList<(int Offset, int Length)> unwritten,
    IReadOnlyList<CoefficientSegment> priorSegments)
{
    public static readonly GradientSlices None = new([], [], []);

    /// <summary>Graph outputs, one per parameter tensor with a non-zero gradient, in θ order.</summary>
    public IReadOnlyList<GradientSlice> Slices { get; } = slices;

    /// <summary>Ranges of θ no graph output covers (tensors with a structurally zero likelihood gradient).</summary>
    public IReadOnlyList<(int Offset, int Length)> Unwritten { get; } = unwritten;

    /// <summary>The prior's gradient: on each segment w·PerPriorWeight·θ (PerPriorWeight = −1/σ²).</summary>
    public IReadOnlyList<CoefficientSegment> PriorSegments { get; } = priorSegments;

    /// <summary>Turns the graph's slices in <paramref name="gradient"/> into the full ∇θ log p (after every run).</summary>
    public void Complete(ReadOnlySpan<float> theta, Span<float> gradient, double likelihoodScale, double priorWeight)
    {
        foreach (var (offset, length) in Unwritten) gradient.Slice(offset, length).Clear();
        foreach (var s in PriorSegments)
        {
            var coefficient = s.ValueAt(likelihoodScale, priorWeight);
            // w = 0 (every exact chunk after the first) adds nothing.
            if (coefficient == 0f) continue;
            var g = gradient.Slice(s.Offset, s.Length);
            TensorPrimitives.MultiplyAdd(theta.Slice(s.Offset, s.Length), coefficient, g, g);
        }
    }
}
