namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// An integrated autocorrelation time estimate (samplers.md §5.3).
/// </summary>
/// <param name="Tau">τ̂ = 1 + 2·Σ_{t=1}^{Window} ρ̂(t); NaN for constant or non-finite series.</param>
/// <param name="Window">The Sokal window M (smallest lag with M ≥ c·τ(M), or the last lag if none).</param>
/// <param name="ChainLength">Draws per chain (walker) N.</param>
/// <param name="WindowFound">False when no lag satisfied M ≥ c·τ(M) and the last lag was used.</param>
public sealed record AutocorrelationTime(double Tau, int Window, int ChainLength, bool WindowFound)
{
    /// <summary>N ≥ 50·τ̂ is needed before the estimate is trusted.</summary>
    public const double TrustFactor = 50.0;

    /// <summary>RTS recommendation: warn when τ̂ exceeds this fraction of the chain length.</summary>
    public const double LongFraction = 0.2;

    /// <summary>True when N ≥ 50·τ̂ (and τ̂ is finite).</summary>
    public bool IsTrusted => double.IsFinite(Tau) && ChainLength >= TrustFactor * Tau;

    /// <summary>True when τ̂ &gt; 20% of the chain length: the chain is far too short.</summary>
    public bool IsLongRelativeToChain => double.IsFinite(Tau) && Tau > LongFraction * ChainLength;

    /// <summary>Effective sample size per walker, N/τ̂.</summary>
    public double EffectiveDrawsPerChain => ChainLength / Tau;
}
