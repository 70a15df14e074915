using OnnxRay.Abstractions;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.Metropolis;

/// <summary>
/// An analytic target behind <see cref="IBatchLogDensity"/>: each batch's rows are evaluated concurrently on the
/// thread pool (in no fixed order), as a device pool would; it counts batch calls so a test can see the batch path taken.
/// </summary>
internal sealed class ConcurrentBatchDensity(AnalyticTarget inner) : IBatchLogDensity
{
    public AnalyticTarget Inner { get; } = inner;
    public int BatchCalls { get; private set; }
    public int Concurrency => Environment.ProcessorCount;
    public int Dimension => Inner.Dimension;
    public bool IsStochastic => false;
    public long DataSetSize => 0;
    public long BatchSize => 0;
    public IReadOnlyList<ParameterGroup> Groups => Inner.Groups;
    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => Inner.Evaluate(theta, gradient);
    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => Inner.EvaluateExact(theta, gradient);
    public double EvaluateValue(ReadOnlySpan<float> theta) => Inner.EvaluateValue(theta);

    public void EvaluateValues(ReadOnlySpan<float> thetas, Span<double> logDensities)
    {
        BatchCalls++;
        var d = Dimension;
        var input = thetas.ToArray();
        var output = new double[logDensities.Length];
        Parallel.For(0, output.Length, row => output[row] = Inner.EvaluateValue(input.AsSpan(row * d, d)));
        output.CopyTo(logDensities);
    }

    public void EvaluateExactBatch(ReadOnlySpan<float> thetas, Span<double> logDensities, Span<float> gradients)
    {
        BatchCalls++;
        var d = Dimension;
        var input = thetas.ToArray();
        var output = new double[logDensities.Length];
        var grads = new float[gradients.Length];
        Parallel.For(0, output.Length, row => output[row] = Inner.EvaluateExact(input.AsSpan(row * d, d), grads.AsSpan(row * d, d)));
        output.CopyTo(logDensities);
        grads.CopyTo(gradients);
    }
}
