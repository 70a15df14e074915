namespace OnnxRay.Samplers.Tests.Statistics;

/// <summary>
/// Monte Carlo standard error of the mean of an autocorrelated series, from the integrated autocorrelation
/// time (Sokal windowing, samplers.md §5.3) or from batch means. Both are estimates: tests use them with
/// a 4–5σ tolerance and fixed seeds.
/// </summary>
public static class MonteCarloError
{
    /// <summary>Sample mean and unbiased variance.</summary>
    public static (double Mean, double Variance) MeanAndVariance(ReadOnlySpan<double> series)
    {
        if (series.Length < 2) throw new ArgumentException("need at least two values", nameof(series));
        double mean = 0;
        foreach (var v in series) mean += v;
        mean /= series.Length;
        double ss = 0;
        foreach (var v in series) ss += (v - mean) * (v - mean);
        return (mean, ss / (series.Length - 1));
    }

    /// <summary>
    /// Integrated autocorrelation time τ = 1 + 2Σρ(t), summed up to the smallest window M with M ≥ c·τ(M) (c = 5).
    /// Returns 1 for a constant series. Direct O(N·M) sums: fine for test-sized series.
    /// </summary>
    public static double IntegratedAutocorrelationTime(ReadOnlySpan<double> series, double windowFactor = 5.0)
    {
        var n = series.Length;
        var (mean, variance) = MeanAndVariance(series);
        if (variance <= 0) return 1.0;
        var gamma0 = variance * (n - 1) / n;
        var tau = 1.0;
        for (var lag = 1; lag < n; lag++)
        {
            double acc = 0;
            for (var i = 0; i + lag < n; i++) acc += (series[i] - mean) * (series[i + lag] - mean);
            tau += 2.0 * acc / n / gamma0;
            if (lag >= windowFactor * tau) break;
        }
        return Math.Max(tau, 1.0 / Math.Log10(Math.Max(n, 10)));
    }

    /// <summary>MCSE of the mean from the integrated autocorrelation time: sd·√(τ/N).</summary>
    public static double StandardErrorFromAutocorrelation(ReadOnlySpan<double> series)
    {
        var (_, variance) = MeanAndVariance(series);
        var tau = IntegratedAutocorrelationTime(series);
        return Math.Sqrt(variance * tau / series.Length);
    }

    /// <summary>
    /// MCSE of the mean from non-overlapping batch means (batch count ≈ √N unless given). Consistent when batches
    /// are much longer than the autocorrelation time.
    /// </summary>
    public static double StandardErrorFromBatchMeans(ReadOnlySpan<double> series, int batches = 0)
    {
        var n = series.Length;
        if (batches <= 0) batches = Math.Max(2, (int)Math.Sqrt(n));
        var size = n / batches;
        if (size < 1) throw new ArgumentException("more batches than values", nameof(batches));
        var means = new double[batches];
        for (var b = 0; b < batches; b++)
        {
            double s = 0;
            for (var i = b * size; i < (b + 1) * size; i++) s += series[i];
            means[b] = s / size;
        }
        var (_, varianceOfBatchMean) = MeanAndVariance(means);
        return Math.Sqrt(varianceOfBatchMean / batches);
    }

    /// <summary>
    /// The larger of the two estimates: conservative against one of them underestimating on a short series.
    /// </summary>
    public static double StandardError(ReadOnlySpan<double> series) =>
        Math.Max(StandardErrorFromAutocorrelation(series), StandardErrorFromBatchMeans(series));
}
