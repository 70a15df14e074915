namespace OnnxRay.Onnx.Density;

/// <summary>
/// The last step of log p, done on the host instead of as two graph nodes: the graph outputs the head's single
/// log-likelihood term t, and log p = t·s·TermPerScale + s·OffsetPerScale + w·OffsetPerWeight (s the likelihood scale,
/// w the prior weight), in double. <see cref="Identity"/>: the graph's output is log p already (several terms).
/// </summary>
public sealed record LogDensityAffine(double TermPerScale, double OffsetPerScale, double OffsetPerWeight)
{
    public static LogDensityAffine Identity { get; } = new(double.NaN, 0, 0);

    public double Apply(double graphOutput, double likelihoodScale, double priorWeight) =>
        ReferenceEquals(this, Identity)
            ? graphOutput
            : graphOutput * (likelihoodScale * TermPerScale) + likelihoodScale * OffsetPerScale + priorWeight * OffsetPerWeight;
}
