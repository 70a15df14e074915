namespace OnnxRay.Sampling.Diagnostics;

/// <summary>Plain one-sample statistics used by the diagnostics.</summary>
public static class SampleStatistics
{
    /// <summary>Arithmetic mean.</summary>
    public static double Mean(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        foreach (var v in x) sum += v;
        return sum / x.Length;
    }

    /// <summary>Unbiased variance (divides by n − 1), two-pass for accuracy.</summary>
    public static double Variance(ReadOnlySpan<double> x)
    {
        if (x.Length < 2) return double.NaN;
        var mean = Mean(x);
        var sum = 0.0;
        foreach (var v in x) sum += (v - mean) * (v - mean);
        return sum / (x.Length - 1);
    }

    /// <summary>
    /// Quantile by linear interpolation between order statistics (R's default type 7, numpy's "linear"):
    /// h = (n − 1)·p, value = x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋+1₎ − x₍⌊h⌋₎). Does not modify <paramref name="x"/>.
    /// </summary>
    public static double Quantile(ReadOnlySpan<double> x, double probability)
    {
        var sorted = x.ToArray();
        Array.Sort(sorted);
        return QuantileOfSorted(sorted, probability);
    }

    /// <summary>Type-7 quantile of already sorted values.</summary>
    public static double QuantileOfSorted(ReadOnlySpan<double> sorted, double probability)
    {
        if (sorted.Length == 0) return double.NaN;
        if (probability is < 0 or > 1 || double.IsNaN(probability))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "must lie in [0, 1]");
        var h = (sorted.Length - 1) * probability;
        var lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }
}
