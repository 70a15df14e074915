using OnnxRay.Abstractions;

namespace OnnxRay.Testing.Targets;

/// <summary>
/// A deterministic log density written in closed form, with known first and second moments.
/// Used as known-answer targets for sampler tests and benchmarks.
/// </summary>
public abstract class AnalyticTarget : ILogDensity
{
    protected AnalyticTarget(int dimension) => Dimension = dimension;

    public int Dimension { get; }
    public bool IsStochastic => false;
    public long DataSetSize => 0;
    public long BatchSize => 0;
    public virtual IReadOnlyList<ParameterGroup> Groups => ParameterGroup.Whole(Dimension);

    /// <summary>Number of gradient evaluations so far (for gradients-per-result benchmarks).</summary>
    public long GradientCalls { get; private set; }

    /// <summary>Number of value-only evaluations so far.</summary>
    public long ValueCalls { get; private set; }

    /// <summary>Exact E[x_i].</summary>
    public abstract double[] Mean { get; }

    /// <summary>Exact E[x_i²].</summary>
    public abstract double[] SecondMoment { get; }

    /// <summary>Exact Var[x_i²] (for the b² bias metric and Monte Carlo error of E[x²]).</summary>
    public abstract double[] VarianceOfSquare { get; }

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        GradientCalls++;
        return LogDensityAndGradient(theta, gradient);
    }

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => Evaluate(theta, gradient);

    public double EvaluateValue(ReadOnlySpan<float> theta)
    {
        ValueCalls++;
        var scratch = new float[Dimension];
        return LogDensityAndGradient(theta, scratch);
    }

    /// <summary>log p (up to a constant) and its gradient.</summary>
    protected abstract double LogDensityAndGradient(ReadOnlySpan<float> x, Span<float> gradient);

    /// <summary>A start point drawn from N(0, scale² I).</summary>
    public float[] RandomStart(ChainRandom random, double scale = 1.0)
    {
        var x = new float[Dimension];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(scale * random.NextGaussian());
        return x;
    }
}
