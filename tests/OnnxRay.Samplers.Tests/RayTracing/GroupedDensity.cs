using OnnxRay.Abstractions;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.RayTracing;

/// <summary>An analytic target seen through different parameter groups (for per-group ray tests).</summary>
internal sealed class GroupedDensity(AnalyticTarget inner, IReadOnlyList<ParameterGroup> groups) : ILogDensity
{
    public AnalyticTarget Inner { get; } = inner;
    public int Dimension => Inner.Dimension;
    public bool IsStochastic => false;
    public long DataSetSize => 0;
    public long BatchSize => 0;
    public IReadOnlyList<ParameterGroup> Groups { get; } = groups;
    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => Inner.Evaluate(theta, gradient);
    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => Inner.EvaluateExact(theta, gradient);
    public double EvaluateValue(ReadOnlySpan<float> theta) => Inner.EvaluateValue(theta);
}

/// <summary>N(0, I) whose minibatch log p carries a huge random offset (as a large data set's batch noise does).</summary>
internal sealed class OffsetNoiseDensity(int dimension, double offsetScale, ChainRandom noise) : ILogDensity
{
    public int Dimension { get; } = dimension;
    public bool IsStochastic => true;
    public long DataSetSize => 1000;
    public long BatchSize => 10;
    public IReadOnlyList<ParameterGroup> Groups { get; } = ParameterGroup.Whole(dimension);

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) =>
        EvaluateExact(theta, gradient) + offsetScale * noise.NextGaussian();

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        for (var i = 0; i < theta.Length; i++) gradient[i] = -theta[i];
        return EvaluateValue(theta);
    }

    public double EvaluateValue(ReadOnlySpan<float> theta) => -0.5 * VectorMath.SumOfSquares(theta);
}
