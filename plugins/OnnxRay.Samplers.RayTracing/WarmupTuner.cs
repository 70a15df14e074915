using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Warm-up adaptation of dt and of the trajectory time T, in three windows of the W warm-up trajectories:
/// <list type="number">
/// <item>[0, 45%): dt only (dual averaging to the target acceptance with the test on; the MCLMC energy-variance rule
/// with it off);</item>
/// <item>[45%, 80%): dt continues; Welford moments of x give T = (π/2)·√(Σ Var x_i)/√D (MCLMC's L = √ΣVar in path
/// length, divided by the ray speed |v| ≈ √D, times the quarter turn of a Gaussian ray);</item>
/// <item>[80%, 100%): dt keeps adapting with the final trajectory length; the averaged dt is frozen at the end.</item>
/// </list>
/// When the trajectory length is not tuned, dt is tuned over all of W without a restart. Isotropic on purpose: no
/// per-coordinate preconditioning (weight-space symmetries make it meaningless for networks).
/// </summary>
internal sealed class WarmupTuner
{
    private const double LengthWindowStart = 0.45, LengthWindowEnd = 0.8;

    private readonly bool _tuneStepSize, _tuneLength, _metropolis;
    private readonly int _dimension;
    private readonly DualAveragingStepSize _dualAveraging;
    private readonly EnergyVarianceStepSize _energyRule;
    private PositionMoments? _moments;
    private int _total, _index, _lengthStart, _lengthEnd;

    public WarmupTuner(RayTracingOptions options, bool tuneStepSize, bool tuneLength, bool metropolis, int dimension)
    {
        _tuneStepSize = tuneStepSize;
        _tuneLength = tuneLength;
        _metropolis = metropolis;
        _dimension = dimension;
        _dualAveraging = new DualAveragingStepSize(options.TargetAcceptance);
        _energyRule = new EnergyVarianceStepSize(options.TargetEnergyVariance, dimension);
    }

    public bool Active { get; private set; }
    public double StepSize { get; private set; }
    public double TrajectoryTime { get; private set; }

    public void Begin(int warmupSteps, double stepSize, double trajectoryTime)
    {
        _total = warmupSteps;
        _index = 0;
        StepSize = stepSize;
        TrajectoryTime = trajectoryTime;
        Active = warmupSteps > 0 && (_tuneStepSize || _tuneLength);
        // Fewer than 20 warm-up trajectories cannot estimate Σ Var x: keep the default length then.
        var lengthWindows = _tuneLength && warmupSteps >= 20;
        _lengthStart = lengthWindows ? (int)(LengthWindowStart * warmupSteps) : int.MaxValue;
        _lengthEnd = lengthWindows ? (int)(LengthWindowEnd * warmupSteps) : int.MaxValue;
        _moments = lengthWindows ? new PositionMoments(_dimension) : null;
        _dualAveraging.Restart(stepSize);
    }

    /// <summary>Called after the initial step-size search moved dt.</summary>
    public void ResetStepSize(double stepSize)
    {
        StepSize = stepSize;
        _dualAveraging.Restart(stepSize);
    }

    public void Adapt(in StepInfo info, ReadOnlySpan<float> position)
    {
        if (!Active) return;
        if (_tuneStepSize)
        {
            StepSize = _metropolis
                ? _dualAveraging.Update(info.Divergent ? 0.0 : info.AcceptanceProbability)
                : _energyRule.Update(info.EnergyError, StepSize, info.Divergent);
        }
        _index++;
        if (_moments is not null && _index > _lengthStart && _index <= _lengthEnd) _moments.Add(position);
        if (_moments is not null && _index == _lengthEnd)
        {
            var total = _moments.TotalVariance();
            // π/2 × the rms scale: a Gaussian ray turns through a right angle in time π/2·σ (samplers.md §1.5);
            // on the κ = 100 benchmark this beat T = σ_rms by ~25% in gradients to b² < 0.01.
            if (double.IsFinite(total) && total > 0) TrajectoryTime = Math.PI / 2 * Math.Sqrt(total / _dimension);
            _moments = null; // release 8 bytes per parameter
            // Dual averaging is not restarted: the acceptance of a trajectory hardly depends on its length (the energy
            // error stays bounded), and a restart would leave too few iterations for dt̄ to settle (μ = log 10·dt).
        }
    }

    /// <summary>Freezes dt (the dual-averaging mean with the test on, the last rule value without) and stops adapting.</summary>
    public void End()
    {
        if (Active && _tuneStepSize && _metropolis)
        {
            var averaged = _dualAveraging.AveragedStepSize;
            if (double.IsFinite(averaged)) StepSize = averaged;
        }
        Active = false;
        _moments = null;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(Active);
        w.Write(StepSize);
        w.Write(TrajectoryTime);
        w.Write(_total);
        w.Write(_index);
        w.Write(_lengthStart);
        w.Write(_lengthEnd);
        _dualAveraging.Save(w);
        _energyRule.Save(w);
        w.Write(_moments is not null);
        _moments?.Save(w);
    }

    public void Restore(BinaryReader r)
    {
        Active = r.ReadBoolean();
        StepSize = r.ReadDouble();
        TrajectoryTime = r.ReadDouble();
        _total = r.ReadInt32();
        _index = r.ReadInt32();
        _lengthStart = r.ReadInt32();
        _lengthEnd = r.ReadInt32();
        _dualAveraging.Restore(r);
        _energyRule.Restore(r);
        if (r.ReadBoolean())
        {
            _moments = new PositionMoments(_dimension);
            _moments.Restore(r);
        }
        else _moments = null;
    }
}
