namespace OnnxRay.Benchmarks;

/// <summary>The median of timing samples (the mean of the middle two for an even count): robust to a loaded machine's outliers.</summary>
public static class SampleMedian
{
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) throw new ArgumentException("no samples", nameof(values));
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
