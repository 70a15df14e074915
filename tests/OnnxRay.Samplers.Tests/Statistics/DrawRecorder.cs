namespace OnnxRay.Samplers.Tests.Statistics;

/// <summary>
/// Keeps the draws of one or more independent chains (each a series of D-dimensional points) so that per-coordinate
/// estimates of E[f(x_i)] and their Monte Carlo standard errors can be computed afterwards.
/// </summary>
public sealed class DrawRecorder(int dimension)
{
    private readonly List<List<float[]>> _chains = [];

    public int Dimension { get; } = dimension;
    public int ChainCount => _chains.Count;
    public int DrawCount => _chains.Sum(c => c.Count);

    /// <summary>Starts a new, independent chain; subsequent <see cref="Add"/> calls go to it.</summary>
    public void BeginChain() => _chains.Add([]);

    /// <summary>Copies one draw into the current chain.</summary>
    public void Add(ReadOnlySpan<float> draw)
    {
        if (draw.Length != Dimension) throw new ArgumentException($"draw has {draw.Length} values, expected {Dimension}");
        if (_chains.Count == 0) BeginChain();
        _chains[^1].Add(draw.ToArray());
    }

    /// <summary>The series f(x_i) of coordinate i in chain c.</summary>
    public double[] Series(int chain, int coordinate, Func<double, double> statistic)
    {
        var draws = _chains[chain];
        var s = new double[draws.Count];
        for (var t = 0; t < s.Length; t++) s[t] = statistic(draws[t][coordinate]);
        return s;
    }

    /// <summary>
    /// Estimate of E[f(x_i)] pooled over chains (equal weight per draw) and its MCSE, combining the per-chain
    /// standard errors as independent: se² = Σ_c (n_c/N)²·se_c².
    /// </summary>
    public (double Estimate, double StandardError) Estimate(int coordinate, Func<double, double> statistic)
    {
        var total = DrawCount;
        double sum = 0, variance = 0;
        for (var c = 0; c < _chains.Count; c++)
        {
            var series = Series(c, coordinate, statistic);
            if (series.Length == 0) continue;
            var (mean, _) = MonteCarloError.MeanAndVariance(series);
            var weight = (double)series.Length / total;
            sum += weight * mean;
            var se = MonteCarloError.StandardError(series);
            variance += weight * weight * se * se;
        }
        return (sum, Math.Sqrt(variance));
    }
}
