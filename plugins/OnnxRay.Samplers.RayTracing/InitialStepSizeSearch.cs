using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// A first guess for dt before dual averaging (Hoffman &amp; Gelman 2014 Alg. 4, as Stan does it): from a fresh
/// velocity, one integration step; double dt while its log α stays above the threshold, or halve it until it does.
/// Costs a few gradients and saves the tuner from starting orders of magnitude off (the paper's default dt is set
/// for networks, not for the target at hand). The state is restored exactly afterwards.
/// </summary>
internal static class InitialStepSizeSearch
{
    private const int MaxTrials = 40;

    /// <param name="logAcceptanceThreshold">log α a good step must exceed (log 0.8 with the Metropolis test).</param>
    public static double Run(PhaseSpace space, IntegratorKind kind, double dt, ChainRandom random, double logAcceptanceThreshold)
    {
        var direction = 0;
        for (var trial = 0; trial < MaxTrials; trial++)
        {
            var logAlpha = TrialLogAcceptance(space, kind, dt, random);
            var good = logAlpha > logAcceptanceThreshold; // false for NaN
            if (direction == 0) direction = good ? 1 : -1;
            if (direction == 1 && !good) return dt / 2; // the last step size that was still good
            if (direction == -1 && good) return dt;
            dt = direction == 1 ? dt * 2 : dt / 2;
        }
        return dt;
    }

    private static double TrialLogAcceptance(PhaseSpace space, IntegratorKind kind, double dt, ChainRandom random)
    {
        var start = space.EnsureGradient();
        space.SaveStart();
        var luminosity = space.LogLuminosity;
        space.LogLuminosity = 0;
        space.Redraw(random);
        Integrators.Step(space, kind, dt, random);
        space.Flush();
        var end = space.EnsureGradient();
        var logAlpha = end - start - space.LogLuminosity;
        space.RestoreStart(reverseVelocity: false);
        space.SavedVelocity.CopyTo(space.Velocity, 0);
        space.LogLuminosity = luminosity;
        return double.IsFinite(logAlpha) ? logAlpha : double.NaN;
    }
}
