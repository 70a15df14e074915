using OnnxRay.Abstractions;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// The Gaussian noise toy model of samplers.md §1.7 (Eq. 34): L_sto(x) = exp(−½|x − R|²) with R ~ N(0, σ²I) fresh at
/// each evaluation, so the gradient −x + R has per-coordinate noise σ. Exact evaluations return the N(0, I) values.
/// </summary>
public sealed class SamplerNoisyGaussian(int dimension, double sigma, ChainRandom noise) : ILogDensity
{
    private readonly float[] _offset = new float[dimension];

    public int Dimension { get; } = dimension;
    public bool IsStochastic => sigma > 0;
    public long DataSetSize => 0;
    public long BatchSize => 0;
    public IReadOnlyList<ParameterGroup> Groups { get; } = ParameterGroup.Whole(dimension);
    public long Evaluations { get; private set; }

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        Evaluations++;
        for (var i = 0; i < _offset.Length; i++) _offset[i] = (float)(sigma * noise.NextGaussian());
        double logp = 0;
        for (var i = 0; i < theta.Length; i++)
        {
            var d = theta[i] - _offset[i];
            gradient[i] = -d;
            logp -= 0.5 * d * d;
        }
        return logp;
    }

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        for (var i = 0; i < theta.Length; i++) gradient[i] = -theta[i];
        return EvaluateValue(theta);
    }

    public double EvaluateValue(ReadOnlySpan<float> theta) => -0.5 * VectorMath.SumOfSquares(theta);
}
