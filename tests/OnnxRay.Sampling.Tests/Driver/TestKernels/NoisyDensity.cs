using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Tests.Driver.TestKernels;

/// <summary>
/// A density with state of its own, like a minibatch feeder: each evaluation perturbs the inner density by noise
/// from a private stream, so a resume that forgot the density's state would produce different draws.
/// </summary>
public sealed class NoisyDensity(ILogDensity inner, ulong seed, double noise) : ILogDensity, ICheckpointableDensity
{
    private readonly ChainRandom _random = new(seed);

    public int Dimension => inner.Dimension;
    public bool IsStochastic => true;
    public long DataSetSize => inner.DataSetSize;
    public long BatchSize => inner.BatchSize;
    public IReadOnlyList<ParameterGroup> Groups => inner.Groups;

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => inner.Evaluate(theta, gradient) + noise * _random.NextGaussian();
    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => inner.EvaluateExact(theta, gradient);
    public double EvaluateValue(ReadOnlySpan<float> theta) => inner.EvaluateValue(theta) + noise * _random.NextGaussian();

    public void SaveState(BinaryWriter writer) => _random.SaveState(writer);
    public void RestoreState(BinaryReader reader) => _random.RestoreState(reader);
}
