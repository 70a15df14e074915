namespace OnnxRay.Sampling.Diagnostics;

/// <summary>Builds <see cref="QuantitySummary"/> records from draws shaped [chains][draws].</summary>
public static class PosteriorSummary
{
    /// <summary>Summary and diagnostics of one scalar quantity.</summary>
    public static QuantitySummary Summarize(string name, IReadOnlyList<double[]> chains)
    {
        var (m, n) = DrawMatrix.Shape(chains);
        var pooled = DrawMatrix.Pool(chains);
        var sorted = (double[])pooled.Clone();
        Array.Sort(sorted);
        var anyNaN = pooled.Any(double.IsNaN);
        double Q(double p) => anyNaN ? double.NaN : SampleStatistics.QuantileOfSorted(sorted, p);
        var tau = IntegratedAutocorrelationTime.Estimate(chains);
        return new QuantitySummary(
            name, m, n,
            Mean: SampleStatistics.Mean(pooled),
            Sd: Math.Sqrt(SampleStatistics.Variance(pooled)),
            Q5: Q(0.05),
            Q50: Q(0.5),
            Q95: Q(0.95),
            McseMean: MonteCarloStandardError.Mean(chains),
            EssBulk: EffectiveSampleSize.Bulk(chains),
            EssTail: EffectiveSampleSize.Tail(chains),
            Rhat: Rhat.RankNormalized(chains),
            Tau: tau.Tau,
            TauTrusted: tau.IsTrusted,
            TauLongRelativeToChain: tau.IsLongRelativeToChain);
    }
}
