using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Tests.Hmc;

/// <summary>
/// The ray tracing paper's Gaussian noise toy model (Eq. 34): a minibatch-like estimate log p̂ = −½|x − R|² with
/// R ~ N(0, σ²I) fresh at every <see cref="Evaluate"/>, so the gradient −x + R has per-coordinate noise sd σ.
/// The exact density is the standard normal −½|x|².
/// </summary>
public sealed class NoisyGaussianDensity(int dimension, double noise, ulong seed) : ILogDensity
{
    private readonly ChainRandom _random = new(seed);

    public int Dimension { get; } = dimension;
    public bool IsStochastic => true;
    public long DataSetSize => 1000;
    public long BatchSize => 10;
    public IReadOnlyList<ParameterGroup> Groups => ParameterGroup.Whole(Dimension);
    public long GradientCalls { get; private set; }

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        GradientCalls++;
        double logp = 0;
        for (var i = 0; i < Dimension; i++)
        {
            var r = noise * _random.NextGaussian();
            var diff = theta[i] - r;
            gradient[i] = (float)-diff;
            logp -= 0.5 * diff * diff;
        }
        return logp;
    }

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        GradientCalls++;
        for (var i = 0; i < Dimension; i++) gradient[i] = -theta[i];
        return -0.5 * VectorMath.SumOfSquares(theta);
    }

    public double EvaluateValue(ReadOnlySpan<float> theta) => -0.5 * VectorMath.SumOfSquares(theta);
}
