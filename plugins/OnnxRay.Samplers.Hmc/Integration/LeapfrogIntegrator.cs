using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Hmc.Integration;

/// <summary>How a trajectory ended.</summary>
internal readonly record struct TrajectoryResult(double LogDensity, int Steps, bool Diverged);

/// <summary>
/// Leapfrog (kick–drift–kick) with adjacent half-kicks fused, so n steps cost n gradients:
/// p += ε/2·g; then n × [x += ε·M⁻¹p; g = ∇log p(x); p += ε·g] with the last kick halved.
/// Each kick shares one pass over the vectors with the drift after it (<see cref="DiagonalMetric.KickThenDrift"/>).
/// </summary>
internal sealed class LeapfrogIntegrator
{
    // The dimension is kept in the signature: callers size the integrator as they size their buffers.
    public LeapfrogIntegrator(int dimension) => ArgumentOutOfRangeException.ThrowIfNegative(dimension);

    /// <summary>Integrates in place on the caller's (x, p, g); the gradient at the start must already be in g.</summary>
    public TrajectoryResult Integrate(
        ILogDensity density, DiagonalMetric metric,
        Span<float> position, Span<float> momentum, Span<float> gradient,
        double stepSize, int steps, bool exactLastEvaluation,
        double initialHamiltonian, DivergenceDetector? divergence) =>
        Integrate(density, metric, position, momentum, gradient, position, momentum, gradient,
            stepSize, steps, exactLastEvaluation, initialHamiltonian, divergence);

    /// <summary>
    /// Integrates <paramref name="steps"/> steps of size <paramref name="stepSize"/> from (x₀, p₀, g₀) into
    /// (x, p, g): the first pass reads the start and writes the outputs, so the start needs no copy and is left
    /// untouched (unless the spans are the same).
    /// With <paramref name="exactLastEvaluation"/> the final position is evaluated with
    /// <see cref="ILogDensity.EvaluateExact"/>, so the accept test sees exact energies and both end points kick
    /// with exact gradients (keeping the map reversible for minibatch densities, whose interior kicks are noisy).
    /// Stops early when <paramref name="divergence"/> says the potential alone has left H₀ + threshold.
    /// </summary>
    public TrajectoryResult Integrate(
        ILogDensity density, DiagonalMetric metric,
        ReadOnlySpan<float> startPosition, ReadOnlySpan<float> startMomentum, ReadOnlySpan<float> startGradient,
        Span<float> position, Span<float> momentum, Span<float> gradient,
        double stepSize, int steps, bool exactLastEvaluation,
        double initialHamiltonian, DivergenceDetector? divergence)
    {
        var eps = (float)stepSize;
        var halfEps = (float)(0.5 * stepSize);
        if (steps <= 0)
        {
            startPosition.CopyTo(position);
            startGradient.CopyTo(gradient);
            TensorPrimitives.MultiplyAdd(startGradient, halfEps, startMomentum, momentum);
            return new TrajectoryResult(double.NaN, 0, Diverged: false);
        }
        metric.KickThenDrift(startMomentum, startGradient, halfEps, startPosition, eps, momentum, position);
        var logDensity = double.NaN;
        for (var step = 1; step <= steps; step++)
        {
            var last = step == steps;
            logDensity = last && exactLastEvaluation
                ? density.EvaluateExact(position, gradient)
                : density.Evaluate(position, gradient);
            if (!double.IsFinite(logDensity) || (divergence is { } d && d.PotentialShowsDivergence(initialHamiltonian, logDensity)))
                return new TrajectoryResult(logDensity, step, Diverged: true);
            if (last) TensorPrimitives.MultiplyAdd(gradient, halfEps, momentum, momentum);
            else metric.KickThenDrift(momentum, gradient, eps, position, eps, momentum, position); // this kick, the next step's drift
        }
        return new TrajectoryResult(logDensity, steps, Diverged: false);
    }
}
