using OnnxRay.Abstractions;
namespace OnnxRay.Samplers.Hmc.Adaptation;

/// <summary>
/// Stan's var_adaptation: inside each slow window collect the draws; at a window's end return the regularised
/// variance σ²_reg = (n/(n+5))·σ̂² + 10⁻³·(5/(n+5)) as the new inverse metric and restart the estimator.
/// </summary>
internal sealed class WindowedVarianceAdaptation(WindowedAdaptationSchedule schedule, int dimension)
{
    private readonly RunningVariance _estimator = new(dimension);

    public WindowedAdaptationSchedule Schedule { get; } = schedule;

    /// <summary>Draws collected in the current window.</summary>
    public long SamplesInWindow => _estimator.Count;

    /// <summary>Stan's shrinkage of a window variance towards 10⁻³ with weight 5/(n+5).</summary>
    public static double Regularize(double sampleVariance, long count) =>
        count / (count + 5.0) * sampleVariance + 1e-3 * (5.0 / (count + 5.0));

    /// <summary>
    /// Observes the draw after one warm-up step. Returns true (and fills <paramref name="inverseMetric"/>)
    /// when this step closed a window.
    /// </summary>
    public bool Observe(ReadOnlySpan<float> draw, Span<double> inverseMetric)
    {
        if (Schedule.InSlowWindow) _estimator.Add(draw);
        if (Schedule.AtWindowEnd)
        {
            Schedule.ComputeNextWindow();
            _estimator.SampleVariance(inverseMetric);
            var n = _estimator.Count;
            for (var i = 0; i < inverseMetric.Length; i++) inverseMetric[i] = Regularize(inverseMetric[i], n);
            _estimator.Restart();
            Schedule.Advance();
            return true;
        }
        Schedule.Advance();
        return false;
    }

    public void Save(BinaryWriter writer)
    {
        Schedule.Save(writer);
        _estimator.Save(writer);
    }

    public void Restore(BinaryReader reader)
    {
        Schedule.Restore(reader);
        _estimator.Restore(reader);
    }
}
