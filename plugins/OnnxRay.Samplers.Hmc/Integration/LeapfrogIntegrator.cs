using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Hmc.Integration;

/// <summary>How a trajectory ended.</summary>
internal readonly record struct TrajectoryResult(double LogDensity, int Steps, bool Diverged);

/// <summary>
/// Leapfrog (kick–drift–kick) with adjacent half-kicks fused, so n steps cost n gradients:
/// p += ε/2·g; then n × [x += ε·M⁻¹p; g = ∇log p(x); p += ε·g] with the last kick halved.
/// Works in place on the caller's (x, p, g); the gradient at the start must already be in g.
/// </summary>
internal sealed class LeapfrogIntegrator(int dimension)
{
    private readonly float[] _velocity = new float[dimension];

    /// <summary>
    /// Integrates <paramref name="steps"/> steps of size <paramref name="stepSize"/>.
    /// With <paramref name="exactLastEvaluation"/> the final position is evaluated with
    /// <see cref="ILogDensity.EvaluateExact"/>, so the accept test sees exact energies and both end points kick
    /// with exact gradients (keeping the map reversible for minibatch densities, whose interior kicks are noisy).
    /// Stops early when <paramref name="divergence"/> says the potential alone has left H₀ + threshold.
    /// </summary>
    public TrajectoryResult Integrate(
        ILogDensity density, DiagonalMetric metric,
        Span<float> position, Span<float> momentum, Span<float> gradient,
        double stepSize, int steps, bool exactLastEvaluation,
        double initialHamiltonian, DivergenceDetector? divergence)
    {
        var eps = (float)stepSize;
        var halfEps = (float)(0.5 * stepSize);
        TensorPrimitives.MultiplyAdd(gradient, halfEps, momentum, momentum);
        var logDensity = double.NaN;
        for (var step = 1; step <= steps; step++)
        {
            metric.Velocity(momentum, _velocity);
            TensorPrimitives.MultiplyAdd(_velocity, eps, position, position);
            var last = step == steps;
            logDensity = last && exactLastEvaluation
                ? density.EvaluateExact(position, gradient)
                : density.Evaluate(position, gradient);
            if (!double.IsFinite(logDensity) || (divergence is { } d && d.PotentialShowsDivergence(initialHamiltonian, logDensity)))
                return new TrajectoryResult(logDensity, step, Diverged: true);
            TensorPrimitives.MultiplyAdd(gradient, last ? halfEps : eps, momentum, momentum);
        }
        return new TrajectoryResult(logDensity, steps, Diverged: false);
    }
}
