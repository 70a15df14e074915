namespace OnnxRay.Sampling.Diagnostics;

/// <summary>Monte Carlo standard errors of posterior estimates.</summary>
public static class MonteCarloStandardError
{
    /// <summary>MCSE of the posterior mean = sd(all draws)/√ESS_basic (posterior's <c>mcse_mean</c>); NaN when undefined.</summary>
    public static double Mean(IReadOnlyList<double[]> chains)
    {
        var ess = EffectiveSampleSize.Basic(chains);
        if (double.IsNaN(ess)) return double.NaN;
        var sd = Math.Sqrt(SampleStatistics.Variance(DrawMatrix.Pool(chains)));
        return sd / Math.Sqrt(ess);
    }
}
