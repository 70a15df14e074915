namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The MCLMC stage-1 step-size rule (samplers.md §1.13, BlackJAX <c>mclmc_find_L_and_step_size</c>) for runs
/// without a Metropolis test: drive Var[ΔE]/D to a target using Var[ΔE] ∝ dt⁶, with weighted, exponentially
/// decayed averages so a few wild trajectories do not derail it. ΔE is the trajectory's ΔlnL − ΣΔlnLum.
/// </summary>
internal sealed class EnergyVarianceStepSize(double targetVariancePerDimension, long dimension)
{
    private const double EffectiveSamples = 150, TrustInEstimate = 1.5, ShrinkOnFailure = 0.8;
    private static readonly double Decay = (EffectiveSamples - 1) / (EffectiveSamples + 1);

    private double _weightedRatio, _weights, _maxStepSize = double.PositiveInfinity;

    /// <summary>Feeds one trajectory's energy error at step size <paramref name="stepSize"/>; returns the next step size.</summary>
    public double Update(double energyError, double stepSize, bool failed)
    {
        if (failed || !double.IsFinite(energyError))
        {
            // Non-finite energy: the step is far too large. Cap it and shrink.
            _maxStepSize = stepSize;
            return stepSize * ShrinkOnFailure;
        }
        var xi = energyError * energyError / (dimension * targetVariancePerDimension) + 1e-8;
        var logXi = Math.Log(xi) / (6.0 * TrustInEstimate);
        var weight = Math.Exp(-0.5 * logXi * logXi);
        _weightedRatio = Decay * _weightedRatio + weight * xi / Math.Pow(stepSize, 6);
        _weights = Decay * _weights + weight;
        var next = Math.Pow(_weightedRatio / _weights, -1.0 / 6.0);
        return double.IsFinite(next) ? Math.Min(next, _maxStepSize) : stepSize;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(_weightedRatio);
        w.Write(_weights);
        w.Write(_maxStepSize);
    }

    public void Restore(BinaryReader r)
    {
        _weightedRatio = r.ReadDouble();
        _weights = r.ReadDouble();
        _maxStepSize = r.ReadDouble();
    }
}
