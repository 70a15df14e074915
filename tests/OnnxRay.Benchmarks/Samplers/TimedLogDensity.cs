using OnnxRay.Abstractions;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// Wraps a log density and adds up the calling thread's CPU time spent inside it, so that a sampler loop timed on
/// the same clock splits into density time and sampler time. (Single-threaded densities only: work an inner density
/// runs on other threads would be missed.)
/// </summary>
public sealed class TimedLogDensity(ILogDensity inner) : ILogDensity
{
    /// <summary>The density being timed.</summary>
    public ILogDensity Inner => inner;

    public int Dimension => inner.Dimension;
    public bool IsStochastic => inner.IsStochastic;
    public long DataSetSize => inner.DataSetSize;
    public long BatchSize => inner.BatchSize;
    public IReadOnlyList<ParameterGroup> Groups => inner.Groups;

    /// <summary>Gradient evaluations (with or without the exact flag) since <see cref="Reset"/>.</summary>
    public long GradientCalls { get; private set; }

    /// <summary>Value-only evaluations since <see cref="Reset"/>.</summary>
    public long ValueCalls { get; private set; }

    /// <summary>Thread CPU µs spent in gradient evaluations since <see cref="Reset"/>.</summary>
    public double GradientMicroseconds { get; private set; }

    /// <summary>Thread CPU µs spent in value-only evaluations since <see cref="Reset"/>.</summary>
    public double ValueMicroseconds { get; private set; }

    public void Reset()
    {
        GradientCalls = ValueCalls = 0;
        GradientMicroseconds = ValueMicroseconds = 0;
    }

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) =>
        CountGradient(CpuClock.ThreadMicroseconds(), inner.Evaluate(theta, gradient));

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) =>
        CountGradient(CpuClock.ThreadMicroseconds(), inner.EvaluateExact(theta, gradient));

    /// <summary>Books a gradient call that started at <paramref name="startMicroseconds"/> (arguments run left to right).</summary>
    private double CountGradient(double startMicroseconds, double result)
    {
        GradientMicroseconds += CpuClock.ThreadMicroseconds() - startMicroseconds;
        GradientCalls++;
        return result;
    }

    public double EvaluateValue(ReadOnlySpan<float> theta)
    {
        var t0 = CpuClock.ThreadMicroseconds();
        var result = inner.EvaluateValue(theta);
        ValueMicroseconds += CpuClock.ThreadMicroseconds() - t0;
        ValueCalls++;
        return result;
    }
}
