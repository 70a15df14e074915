namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Effective sample size (samplers.md §5.2), matching the `posterior` R package (v1.4): multi-chain
/// autocorrelation from FFT autocovariances, Geyer's initial positive and monotone sequences, the antithetic
/// term, and τ̂ clamped at 1/log₁₀(M'N'). Inputs are [chains][draws]; NaN for constant or non-finite draws, never ∞.
/// </summary>
public static class EffectiveSampleSize
{
    /// <summary>Trust threshold for bulk- and tail-ESS.</summary>
    public const double Threshold = 400;

    /// <summary>ESS of the raw split chains (posterior's <c>ess_basic</c>/<c>ess_mean</c>); used for MCSE(mean).</summary>
    public static double Basic(IReadOnlyList<double[]> chains) => OfChains(SplitChains.Split(chains));

    /// <summary>Bulk-ESS: ESS of the rank-normalised split chains.</summary>
    public static double Bulk(IReadOnlyList<double[]> chains) =>
        DrawMatrix.IsConstantOrNonFinite(chains) ? double.NaN : OfChains(RankNormalization.ZScale(SplitChains.Split(chains)));

    /// <summary>Tail-ESS: min of the quantile ESS at 5% and 95%.</summary>
    public static double Tail(IReadOnlyList<double[]> chains)
    {
        var q05 = Quantile(chains, 0.05);
        var q95 = Quantile(chains, 0.95);
        return double.IsNaN(q05) || double.IsNaN(q95) ? double.NaN : Math.Min(q05, q95);
    }

    /// <summary>
    /// ESS of the indicator 1[θ ≤ q̂_p] on split chains, q̂_p the type-7 quantile of all (unsplit) draws.
    /// </summary>
    public static double Quantile(IReadOnlyList<double[]> chains, double probability)
    {
        if (probability is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(probability), probability, "must lie in [0, 1]");
        DrawMatrix.Shape(chains);
        if (DrawMatrix.IsConstantOrNonFinite(chains)) return double.NaN;
        var pooled = DrawMatrix.Pool(chains);
        // posterior nudges p = 1 inside the sample so the indicator is not constant
        if (probability == 1) probability = (pooled.Length - 0.5) / pooled.Length;
        var q = SampleStatistics.Quantile(pooled, probability);
        var indicators = chains.Select(c => c.Select(x => x <= q ? 1.0 : 0.0).ToArray()).ToArray();
        return OfChains(SplitChains.Split(indicators));
    }

    /// <summary>The autocorrelation time τ̂ (= M'·N'/ESS) of chains used as given; NaN when undefined.</summary>
    public static double AutocorrelationTime(IReadOnlyList<double[]> chains)
    {
        var (m, n) = DrawMatrix.Shape(chains);
        var ess = OfChains(chains);
        return double.IsNaN(ess) ? double.NaN : (double)m * n / ess;
    }

    /// <summary>ESS = M·N/τ̂ of chains used as given (no splitting, no rank normalisation).</summary>
    public static double OfChains(IReadOnlyList<double[]> chains)
    {
        var (m, n) = DrawMatrix.Shape(chains);
        if (n < 3 || DrawMatrix.IsConstantOrNonFinite(chains)) return double.NaN;

        // mean over chains of the biased autocovariance at each lag
        var acovMeans = new double[n];
        var chainMeans = new double[m];
        for (var c = 0; c < m; c++)
        {
            var acov = Autocovariance.Biased(chains[c]);
            for (var lag = 0; lag < n; lag++) acovMeans[lag] += acov[lag] / m;
            chainMeans[c] = SampleStatistics.Mean(chains[c]);
        }

        var meanVar = acovMeans[0] * n / (n - 1);                       // W
        var varPlus = meanVar * (n - 1) / n;
        if (m > 1) varPlus += SampleStatistics.Variance(chainMeans);       // + B/N
        double Rho(int lag) => 1.0 - (meanVar - acovMeans[lag]) / varPlus;

        // Geyer's initial positive sequence over pairs (ρ̂_2k, ρ̂_2k+1).
        var rho = new double[n];
        var t = 0;
        var rhoEven = 1.0;
        rho[0] = rhoEven;
        var rhoOdd = Rho(1);
        rho[1] = rhoOdd;
        while (t < n - 5 && !double.IsNaN(rhoEven + rhoOdd) && rhoEven + rhoOdd > 0)
        {
            t += 2;
            rhoEven = Rho(t);
            rhoOdd = Rho(t + 1);
            if (rhoEven + rhoOdd >= 0)
            {
                rho[t] = rhoEven;
                rho[t + 1] = rhoOdd;
            }
        }
        var maxT = t;
        // Antithetic improvement: keep the even member of the first negative pair if it is positive.
        if (rhoEven > 0) rho[maxT] = rhoEven;

        // Geyer's initial monotone sequence: a pair may not exceed the pair before it.
        t = 0;
        while (t <= maxT - 4)
        {
            t += 2;
            if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1])
            {
                rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
                rho[t + 1] = rho[t];
            }
        }

        // τ̂ = −1 + 2·Σ_{t<maxT} ρ̂_t + ρ̂_maxT. R's sum(rho[1:0]) is rho[1] when maxT = 0; kept for parity.
        var sum = 0.0;
        if (maxT == 0) sum = rho[0];
        else for (var k = 0; k < maxT; k++) sum += rho[k];
        var tau = -1.0 + 2.0 * sum + rho[maxT];
        var total = (double)m * n;
        tau = Math.Max(tau, 1.0 / Math.Log10(total));
        return double.IsFinite(tau) ? total / tau : double.NaN;
    }
}
