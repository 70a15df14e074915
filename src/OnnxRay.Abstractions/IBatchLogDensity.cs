namespace OnnxRay.Abstractions;

/// <summary>
/// A log density that can evaluate a batch of K parameter vectors at once (e.g. spread across several devices).
/// Results equal K calls of <see cref="ILogDensity.EvaluateValue"/> / <see cref="ILogDensity.EvaluateExact"/>, in order.
/// Samplers with a multiple-proposal mode test for this interface and fall back to single evaluations without it.
/// </summary>
public interface IBatchLogDensity : ILogDensity
{
    /// <summary>How many evaluations run at once (the number of devices or sessions).</summary>
    int Concurrency { get; }

    /// <summary>Exact log p of each row of <paramref name="thetas"/> (K rows of length D, row-major) into <paramref name="logDensities"/> (length K).</summary>
    void EvaluateValues(ReadOnlySpan<float> thetas, Span<double> logDensities);

    /// <summary>Exact log p and gradient of each row: gradients are K rows of length D, row-major.</summary>
    void EvaluateExactBatch(ReadOnlySpan<float> thetas, Span<double> logDensities, Span<float> gradients);
}
