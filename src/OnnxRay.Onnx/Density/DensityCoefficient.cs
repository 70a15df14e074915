namespace OnnxRay.Onnx.Density;

/// <summary>
/// A float input of the density graph whose value the host computes from the likelihood scale s (N/B, or 1 in exact
/// chunks) and the prior weight w (1, or 0 for every chunk after the first): each element in a segment is
/// s·PerLikelihoodScale + w·PerPriorWeight, elements outside every segment are 0. Folding s and w into the
/// coefficients on the host takes their multiplications out of every graph run.
/// </summary>
/// <param name="InputName">The graph input.</param>
/// <param name="Shape">Its shape ([] for scalars; a head may ask for a shaped input whose elements are all equal).</param>
/// <param name="Segments">Runs of elements sharing one linear form in (s, w).</param>
public sealed record DensityCoefficient(string InputName, long[] Shape, IReadOnlyList<CoefficientSegment> Segments)
{
    public int Length => (int)Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>True when the graph declares a default value (at the graph's default scale and w = 1) for this input.</summary>
    public bool HasDefault => Length == 1;

    /// <summary>Writes the input's values for (<paramref name="likelihoodScale"/>, <paramref name="priorWeight"/>).</summary>
    public void Fill(Span<float> destination, double likelihoodScale, double priorWeight)
    {
        if (destination.Length != Length)
            throw new ArgumentException($"coefficient '{InputName}' has {Length} elements; the destination has {destination.Length}.");
        if (Segments.Count != 1 || Segments[0].Length != Length) destination.Clear();
        foreach (var s in Segments)
            destination.Slice(s.Offset, s.Length).Fill(s.ValueAt(likelihoodScale, priorWeight));
    }
}

/// <summary>Elements [Offset, Offset + Length) of a <see cref="DensityCoefficient"/>, each s·PerLikelihoodScale + w·PerPriorWeight.</summary>
public sealed record CoefficientSegment(int Offset, int Length, double PerLikelihoodScale, double PerPriorWeight)
{
    public float ValueAt(double likelihoodScale, double priorWeight) => (float)(likelihoodScale * PerLikelihoodScale + priorWeight * PerPriorWeight);
}
