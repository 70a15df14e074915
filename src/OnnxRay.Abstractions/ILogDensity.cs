namespace OnnxRay.Abstractions;

/// <summary>
/// An unnormalised log density over one flat float32 parameter vector θ of length <see cref="Dimension"/>.
/// Implementations are not required to be thread-safe: each chain owns its own instance.
/// </summary>
public interface ILogDensity
{
    /// <summary>Number of sampled dimensions D.</summary>
    int Dimension { get; }

    /// <summary>True when <see cref="Evaluate"/> is a minibatch estimate (a fresh batch per call).</summary>
    bool IsStochastic { get; }

    /// <summary>Number of examples N in the data set (0 when the density is not data-based).</summary>
    long DataSetSize { get; }

    /// <summary>Examples per evaluation B (equals <see cref="DataSetSize"/> for full-batch densities).</summary>
    long BatchSize { get; }

    /// <summary>
    /// Named contiguous slices of θ (e.g. one per weight tensor). Samplers that keep independent state per group
    /// (the ray tracing sampler's per-group rays) use them; the groups cover θ without overlap.
    /// </summary>
    IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>
    /// Evaluates log p(θ) and writes ∇θ log p into <paramref name="gradient"/> (length D).
    /// A stochastic density uses the next minibatch on each call (likelihood scaled by N/B).
    /// Returns a non-finite value (and may leave the gradient non-finite) where the density is not defined.
    /// </summary>
    double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient);

    /// <summary>Exact full-data log p and gradient, for acceptance tests. Equals <see cref="Evaluate"/> when not stochastic.</summary>
    double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient);

    /// <summary>Exact full-data log p without a gradient (cheaper where the implementation has a forward-only path).</summary>
    double EvaluateValue(ReadOnlySpan<float> theta);
}
