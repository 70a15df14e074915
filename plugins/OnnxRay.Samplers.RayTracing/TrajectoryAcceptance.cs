using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The end-of-trajectory test (samplers.md §1.6–1.7): log α = (ΔlnL − ΣΔlnLum), divided by √(1+σ²_sto) for the
/// stochastic acceptance of Eq. 33, and accepted unless log α &lt; −tolerance and u &gt; e^{log α} (the threshold test;
/// tolerance 0 is the exact Metropolis test).
/// </summary>
public static class TrajectoryAcceptance
{
    /// <summary>log α of a trajectory; <paramref name="noiseVariance"/> = σ²_sto (0 for exact log densities).</summary>
    public static double LogAcceptance(double deltaLogDensity, double deltaLogLuminosity, double noiseVariance = 0) =>
        (deltaLogDensity - deltaLogLuminosity) / Math.Sqrt(1.0 + noiseVariance);

    /// <summary>Decides with one uniform draw from <paramref name="random"/>.</summary>
    public static bool Accept(double logAcceptance, double tolerance, ChainRandom random)
    {
        var u = random.NextOpenDouble(); // always drawn, so the stream advances the same way whatever the outcome
        if (double.IsNaN(logAcceptance)) return false;
        if (logAcceptance >= -tolerance) return true;
        return Math.Log(u) < logAcceptance;
    }

    /// <summary>min(1, e^{log α}), 0 for NaN.</summary>
    public static double Probability(double logAcceptance) =>
        double.IsNaN(logAcceptance) ? 0.0 : Math.Exp(Math.Min(0.0, logAcceptance));
}
