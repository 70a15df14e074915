using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Tests.Driver.TestKernels;

/// <summary>
/// Wraps a density and, after a given number of evaluations, either requests cancellation (a Ctrl-C at that moment)
/// or throws (a crash in the middle of a transition, leaving no chance to write anything).
/// </summary>
public sealed class TrippingDensity(ILogDensity inner, long tripAfter, Action trip) : ILogDensity
{
    private long _evaluations;

    /// <summary>Evaluations so far (of any kind).</summary>
    public long Evaluations => _evaluations;

    public int Dimension => inner.Dimension;
    public bool IsStochastic => inner.IsStochastic;
    public long DataSetSize => inner.DataSetSize;
    public long BatchSize => inner.BatchSize;
    public IReadOnlyList<ParameterGroup> Groups => inner.Groups;

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        Count();
        return inner.Evaluate(theta, gradient);
    }

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        Count();
        return inner.EvaluateExact(theta, gradient);
    }

    public double EvaluateValue(ReadOnlySpan<float> theta)
    {
        Count();
        return inner.EvaluateValue(theta);
    }

    private void Count()
    {
        if (++_evaluations == tripAfter) trip();
    }
}
