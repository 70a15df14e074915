using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc.Integration;

namespace OnnxRay.Samplers.Hmc.Adaptation;

/// <summary>
/// Stan's init_stepsize (base_hmc.hpp; Hoffman &amp; Gelman 2014, Alg. 4): from the current ε, take one leapfrog step
/// with a fresh momentum; keep doubling ε while the energy change stays above log 0.8 (or halving while it stays
/// below), redrawing the momentum for every trial. Each trial costs one gradient.
/// </summary>
internal static class InitialStepSizeSearch
{
    /// <summary>The search stops doubling here (Stan gives up at 1e7; a flat density would otherwise never stop).</summary>
    public const double MaximumStepSize = 1e7;

    private static readonly double LogThreshold = Math.Log(0.8);

    /// <summary>Scratch buffers and state the search works on; the position and its gradient are only read.</summary>
    public ref struct Workspace
    {
        public ILogDensity Density;
        public DiagonalMetric Metric;
        public LeapfrogIntegrator Integrator;
        public ChainRandom Random;
        public ReadOnlySpan<float> Position;
        public ReadOnlySpan<float> Gradient;
        public double LogDensity;
        public Span<float> TrialPosition;
        public Span<float> TrialMomentum;
        public Span<float> TrialGradient;
        public Span<float> VelocityScratch;
    }

    /// <summary>Returns the searched step size and the number of gradients spent.</summary>
    public static (double StepSize, int Gradients) Search(double stepSize, ref Workspace w)
    {
        if (!(stepSize > 0) || stepSize > MaximumStepSize) return (stepSize, 0);
        var gradients = 0;
        var deltaH = Trial(stepSize, ref w, ref gradients);
        var direction = deltaH > LogThreshold ? 1 : -1;
        while (true)
        {
            deltaH = Trial(stepSize, ref w, ref gradients);
            if (direction == 1 && !(deltaH > LogThreshold)) break;
            if (direction == -1 && !(deltaH < LogThreshold)) break;
            stepSize = direction == 1 ? 2 * stepSize : 0.5 * stepSize;
            if (stepSize > MaximumStepSize) return (MaximumStepSize, gradients);
            if (stepSize < 1e-300)
                throw new InvalidOperationException(
                    "The HMC step-size search shrank ε to zero: the log density or its gradient is not finite around the current position.");
        }
        return (stepSize, gradients);
    }

    /// <summary>H₀ − H after one leapfrog step from the current position with a fresh momentum (−∞ when not finite).</summary>
    private static double Trial(double stepSize, ref Workspace w, ref int gradients)
    {
        w.Position.CopyTo(w.TrialPosition);
        w.Gradient.CopyTo(w.TrialGradient);
        w.Metric.SampleMomentum(w.TrialMomentum, w.Random);
        var h0 = -w.LogDensity + w.Metric.KineticEnergy(w.TrialMomentum, w.VelocityScratch);
        var result = w.Integrator.Integrate(w.Density, w.Metric, w.TrialPosition, w.TrialMomentum, w.TrialGradient,
            stepSize, 1, exactLastEvaluation: true, h0, divergence: null);
        gradients += result.Steps;
        if (result.Diverged) return double.NegativeInfinity;
        var h = -result.LogDensity + w.Metric.KineticEnergy(w.TrialMomentum, w.VelocityScratch);
        return double.IsNaN(h) ? double.NegativeInfinity : h0 - h;
    }
}
