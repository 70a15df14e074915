using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Rank normalisation (samplers.md §5.1): pool all draws, rank them with average ranks for ties, and map
/// rank r to z = Φ⁻¹((r − 3/8)/(S + 1/4)) (Blom's offset, the `posterior` default).
/// </summary>
public static class RankNormalization
{
    /// <summary>Blom's offset c in (r − c)/(S − 2c + 1).</summary>
    public const double BlomOffset = 3.0 / 8.0;

    /// <summary>1-based ranks; tied values share the average of the ranks they span.</summary>
    public static double[] AverageRanks(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        var keys = values.ToArray();
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        var ranks = new double[n];
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            // positions start..end−1 hold ranks start+1..end; their average is (start + 1 + end)/2
            var average = (start + 1 + end) / 2.0;
            for (var k = start; k < end; k++) ranks[order[k]] = average;
            start = end;
        }
        return ranks;
    }

    /// <summary>Rank-normalised z-scores of the pooled draws, returned in the same [chains][draws] shape.</summary>
    public static double[][] ZScale(IReadOnlyList<double[]> chains)
    {
        var pooled = DrawMatrix.Pool(chains);
        var ranks = AverageRanks(pooled);
        var s = pooled.Length;
        var z = new double[s];
        for (var i = 0; i < s; i++)
        {
            z[i] = double.IsNaN(pooled[i])
                ? double.NaN
                : StandardNormal.InverseCdf((ranks[i] - BlomOffset) / (s - 2 * BlomOffset + 1));
        }
        return DrawMatrix.Unpool(z, chains.Count);
    }

    /// <summary>Folded draws ζ = |θ − median(θ)|, the median taken over all draws of all chains.</summary>
    public static double[][] Fold(IReadOnlyList<double[]> chains)
    {
        var pooled = DrawMatrix.Pool(chains);
        var median = SampleStatistics.Quantile(pooled, 0.5);
        for (var i = 0; i < pooled.Length; i++) pooled[i] = Math.Abs(pooled[i] - median);
        return DrawMatrix.Unpool(pooled, chains.Count);
    }
}
