namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Nesterov dual averaging of log dt towards a target acceptance (Hoffman &amp; Gelman 2014 §3.2, samplers.md §2.3;
/// γ = 0.05, t₀ = 10, κ = 0.75, μ = log(10·dt₀)). Used when the Metropolis test is on.
/// </summary>
internal sealed class DualAveragingStepSize(double targetAcceptance)
{
    private const double Gamma = 0.05, T0 = 10, Kappa = 0.75;

    private double _mu, _hBar, _logAverage;
    private long _t;

    public double TargetAcceptance { get; } = targetAcceptance;

    /// <summary>Restarts from <paramref name="stepSize"/> (μ = log(10·dt)).</summary>
    public void Restart(double stepSize)
    {
        _mu = Math.Log(10 * stepSize);
        _hBar = 0;
        _logAverage = 0;
        _t = 0;
    }

    /// <summary>Feeds one acceptance probability; returns the step size to use next.</summary>
    public double Update(double acceptance)
    {
        if (!double.IsFinite(acceptance)) acceptance = 0;
        _t++;
        var eta = 1.0 / (_t + T0);
        _hBar = (1 - eta) * _hBar + eta * (TargetAcceptance - Math.Min(1.0, acceptance));
        var logStep = _mu - Math.Sqrt(_t) / Gamma * _hBar;
        var w = Math.Pow(_t, -Kappa);
        _logAverage = w * logStep + (1 - w) * _logAverage;
        return Math.Exp(logStep);
    }

    /// <summary>The averaged step size dt̄ to freeze at the end of warm-up (NaN before the first update).</summary>
    public double AveragedStepSize => _t == 0 ? double.NaN : Math.Exp(_logAverage);

    public void Save(BinaryWriter w)
    {
        w.Write(_mu);
        w.Write(_hBar);
        w.Write(_logAverage);
        w.Write(_t);
    }

    public void Restore(BinaryReader r)
    {
        _mu = r.ReadDouble();
        _hBar = r.ReadDouble();
        _logAverage = r.ReadDouble();
        _t = r.ReadInt64();
    }
}
