namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Potential scale reduction R̂ (Vehtari et al. 2021; samplers.md §5.1), matching the `posterior` R package.
/// Inputs are draws shaped [chains][draws]; each method splits the chains itself. NaN for constant or non-finite draws
/// (unlike `posterior`, which ranks ±∞ and returns a number for the rank-normalised variants).
/// </summary>
public static class Rhat
{
    /// <summary>Trust threshold: R̂ below this value.</summary>
    public const double Threshold = 1.01;

    /// <summary>Classic split-R̂ of the raw draws (posterior's <c>rhat_basic</c>).</summary>
    public static double Basic(IReadOnlyList<double[]> chains) => OfChains(SplitChains.Split(chains));

    /// <summary>Bulk R̂: split-R̂ of the rank-normalised draws.</summary>
    public static double Bulk(IReadOnlyList<double[]> chains) =>
        DrawMatrix.IsConstantOrNonFinite(chains) ? double.NaN : OfChains(RankNormalization.ZScale(SplitChains.Split(chains)));

    /// <summary>Tail R̂: split-R̂ of the rank-normalised folded draws |θ − median θ|.</summary>
    public static double Tail(IReadOnlyList<double[]> chains) =>
        DrawMatrix.IsConstantOrNonFinite(chains) ? double.NaN : OfChains(RankNormalization.ZScale(SplitChains.Split(RankNormalization.Fold(chains))));

    /// <summary>Rank-normalised R̂ = max(bulk, tail) (posterior's <c>rhat</c>). NaN if either is NaN.</summary>
    public static double RankNormalized(IReadOnlyList<double[]> chains)
    {
        var bulk = Bulk(chains);
        var tail = Tail(chains);
        return double.IsNaN(bulk) || double.IsNaN(tail) ? double.NaN : Math.Max(bulk, tail);
    }

    /// <summary>
    /// R̂ = √(var⁺/W) of chains used as given (no splitting): B = N·var(chain means), W = mean chain variance,
    /// var⁺ = ((N−1)/N)·W + B/N.
    /// </summary>
    public static double OfChains(IReadOnlyList<double[]> chains)
    {
        var (m, n) = DrawMatrix.Shape(chains);
        if (m < 2 || n < 2 || DrawMatrix.IsConstantOrNonFinite(chains)) return double.NaN;
        var means = new double[m];
        var withinSum = 0.0;
        for (var c = 0; c < m; c++)
        {
            means[c] = SampleStatistics.Mean(chains[c]);
            withinSum += SampleStatistics.Variance(chains[c]);
        }
        var within = withinSum / m;
        var between = n * SampleStatistics.Variance(means);
        if (!(within > 0)) return double.NaN;
        return Math.Sqrt((between / within + n - 1) / n);
    }
}
