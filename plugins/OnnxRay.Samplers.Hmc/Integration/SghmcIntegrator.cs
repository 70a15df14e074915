using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Hmc.Integration;

/// <summary>
/// Stochastic-gradient HMC (Chen, Fox &amp; Guestrin 2014, eq. 15 with B̂ = 0), n steps of
/// x += ε·M⁻¹p; p += ε·ĝ(x) − ε·C·M⁻¹p + N(0, 2Cε).
/// Friction C and noise together keep p ~ N(0, M) stationary, which offsets the heating by gradient noise.
/// </summary>
internal sealed class SghmcIntegrator(int dimension)
{
    private readonly float[] _velocity = new float[dimension];
    private readonly float[] _noise = new float[dimension];

    public TrajectoryResult Integrate(
        ILogDensity density, DiagonalMetric metric, ChainRandom random,
        Span<float> position, Span<float> momentum, Span<float> gradient,
        double stepSize, int steps, double friction)
    {
        var eps = (float)stepSize;
        var frictionStep = (float)(-stepSize * friction);
        var noiseScale = (float)Math.Sqrt(2 * friction * stepSize);
        var logDensity = double.NaN;
        for (var step = 1; step <= steps; step++)
        {
            metric.Velocity(momentum, _velocity);
            TensorPrimitives.MultiplyAdd(_velocity, eps, position, position);
            logDensity = density.Evaluate(position, gradient);
            if (!double.IsFinite(logDensity)) return new TrajectoryResult(logDensity, step, Diverged: true);
            TensorPrimitives.MultiplyAdd(gradient, eps, momentum, momentum);
            if (friction > 0)
            {
                TensorPrimitives.MultiplyAdd(_velocity, frictionStep, momentum, momentum);
                random.FillGaussian(_noise);
                TensorPrimitives.MultiplyAdd(_noise, noiseScale, momentum, momentum);
            }
        }
        return new TrajectoryResult(logDensity, steps, Diverged: false);
    }
}
