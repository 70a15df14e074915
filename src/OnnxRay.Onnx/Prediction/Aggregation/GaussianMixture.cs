namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// A one-dimensional Gaussian mixture Σ_s w_s·N(μ_s, σ_s²) (weights normalised internally): CDF, log density and
/// quantiles (samplers.md §6.2). All σ_s must be positive.
/// </summary>
public static class GaussianMixture
{
    private const int MaxIterations = 200;

    /// <summary>F(y) = Σ w_s Φ((y − μ_s)/σ_s) / Σ w_s.</summary>
    public static double Cdf(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, ReadOnlySpan<double> weights, double y)
    {
        Check(means, sds, weights);
        var sum = 0.0;
        var total = 0.0;
        for (var s = 0; s < means.Length; s++)
        {
            sum += weights[s] * StandardNormal.Cdf((y - means[s]) / sds[s]);
            total += weights[s];
        }
        return sum / total;
    }

    /// <summary>ln Σ w_s N(y; μ_s, σ_s²) − ln Σ w_s, by log-sum-exp.</summary>
    public static double LogDensity(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, ReadOnlySpan<double> weights, double y)
    {
        Check(means, sds, weights);
        var acc = new LogSumExpAccumulator();
        var total = 0.0;
        for (var s = 0; s < means.Length; s++)
        {
            if (weights[s] == 0) continue;
            acc.Add(Math.Log(weights[s]) + NormalLogDensity(y, means[s], sds[s]));
            total += weights[s];
        }
        return acc.Value - Math.Log(total);
    }

    /// <summary>ln N(y; μ, σ²).</summary>
    public static double NormalLogDensity(double y, double mean, double sd)
    {
        var z = (y - mean) / sd;
        return StandardNormal.LogPdf(z) - Math.Log(sd);
    }

    /// <summary>
    /// The q-quantile: solves F(y) = q by Newton's method safeguarded with bisection inside a bracket that starts at
    /// μ̄ ± 10·√Var[y] and is widened until it holds the root. Accurate to about 1e-12 relative in y.
    /// </summary>
    public static double Quantile(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, ReadOnlySpan<double> weights, double q)
    {
        Check(means, sds, weights);
        if (!(q > 0 && q < 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "quantile level must lie in (0, 1)");

        // moments of the mixture for the starting bracket
        double total = 0, mean = 0, second = 0;
        for (var s = 0; s < means.Length; s++)
        {
            total += weights[s];
            mean += weights[s] * means[s];
            second += weights[s] * (sds[s] * sds[s] + means[s] * means[s]);
        }
        mean /= total;
        var sd = Math.Sqrt(Math.Max(second / total - mean * mean, 0));
        if (!(sd > 0)) sd = sds[0];

        var lo = mean - 10 * sd;
        var hi = mean + 10 * sd;
        for (var k = 0; Cdf(means, sds, weights, lo) > q && k < 60; k++) lo -= (hi - lo);
        for (var k = 0; Cdf(means, sds, weights, hi) < q && k < 60; k++) hi += (hi - lo);

        var x = Math.Clamp(mean + sd * StandardNormal.InverseCdf(q), lo, hi);
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var f = Cdf(means, sds, weights, x) - q;
            if (f == 0) return x;
            if (f < 0) lo = x; else hi = x;
            var density = Math.Exp(LogDensity(means, sds, weights, x));
            var next = density > 0 ? x - f / density : double.NaN;
            // fall back to bisection when Newton leaves the bracket or stalls
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            if (Math.Abs(next - x) <= 1e-13 * Math.Max(1.0, Math.Abs(x)) || hi - lo <= 1e-14 * Math.Max(1.0, Math.Abs(x)))
                return next;
            x = next;
        }
        return x;
    }

    private static void Check(ReadOnlySpan<double> means, ReadOnlySpan<double> sds, ReadOnlySpan<double> weights)
    {
        if (means.Length == 0) throw new ArgumentException("the mixture has no components");
        if (sds.Length != means.Length || weights.Length != means.Length)
            throw new ArgumentException($"means, sds and weights must be equally long ({means.Length}, {sds.Length}, {weights.Length})");
    }
}
