namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Posterior summary and convergence diagnostics of one scalar quantity. Undefined values are NaN (never ∞);
/// serialise with <c>JsonNumberHandling.AllowNamedFloatingPointLiterals</c> or map NaN to null.
/// </summary>
/// <param name="Name">Quantity name (parameter, projection or output).</param>
/// <param name="Chains">Number of chains M.</param>
/// <param name="DrawsPerChain">Draws per chain N.</param>
/// <param name="Mean">Mean over all draws.</param>
/// <param name="Sd">Standard deviation over all draws (n − 1).</param>
/// <param name="Q5">5% quantile (type 7).</param>
/// <param name="Q50">Median.</param>
/// <param name="Q95">95% quantile (type 7).</param>
/// <param name="McseMean">Monte Carlo standard error of the mean.</param>
/// <param name="EssBulk">Bulk effective sample size.</param>
/// <param name="EssTail">Tail effective sample size.</param>
/// <param name="Rhat">Rank-normalised split R̂ = max(bulk, tail).</param>
/// <param name="Tau">Integrated autocorrelation time (Sokal window, chains as walkers).</param>
/// <param name="TauTrusted">N ≥ 50·τ.</param>
/// <param name="TauLongRelativeToChain">τ &gt; 20% of the chain length.</param>
public sealed record QuantitySummary(
    string Name,
    int Chains,
    int DrawsPerChain,
    double Mean,
    double Sd,
    double Q5,
    double Q50,
    double Q95,
    double McseMean,
    double EssBulk,
    double EssTail,
    double Rhat,
    double Tau,
    bool TauTrusted,
    bool TauLongRelativeToChain)
{
    /// <summary>R̂ &lt; 1.01 and bulk- and tail-ESS &gt; 400 (samplers.md §5.1).</summary>
    public bool IsConverged =>
        Rhat < Diagnostics.Rhat.Threshold && EssBulk > EffectiveSampleSize.Threshold && EssTail > EffectiveSampleSize.Threshold;
}
