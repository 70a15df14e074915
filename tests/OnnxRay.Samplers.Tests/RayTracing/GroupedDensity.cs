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
