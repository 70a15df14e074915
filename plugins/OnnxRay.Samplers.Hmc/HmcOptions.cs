using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Hmc;

/// <summary>Options of the "hmc" sampler (static-length HMC with a diagonal metric, samplers.md §2, §4).</summary>
public sealed class HmcOptions : SamplerOptions
{
    [SamplerOption("mode", "auto | hmc | sghmc | naive. auto = hmc for exact densities, sghmc for minibatch densities.")]
    public HmcMode Mode { get; set; } = HmcMode.Auto;

    [SamplerOption("step-size", "Leapfrog step ε. 0 = automatic (Stan's doubling/halving heuristic from 1). With adaptation on, it is the starting value.")]
    public double StepSize { get; set; }

    [SamplerOption("steps", "Leapfrog steps per trajectory (used when path-length is 0).")]
    public int Steps { get; set; } = 10;

    [SamplerOption("path-length", "Trajectory length ε·n; when > 0 the number of steps is ceil(path-length/ε) and follows the adapted ε.")]
    public double PathLength { get; set; }

    [SamplerOption("max-steps", "Upper limit on the steps of one trajectory (guards path-length against a tiny ε).")]
    public int MaxSteps { get; set; } = 1000;

    [SamplerOption("random-steps", "Draw the number of steps uniformly from 1..2n−1 each trajectory (mean n) to avoid periodic orbits.")]
    public bool RandomSteps { get; set; }

    [SamplerOption("jitter", "Step-size jitter j in [0, 1): ε is drawn from U[ε(1−j), ε(1+j)] each trajectory.")]
    public double Jitter { get; set; }

    [SamplerOption("adapt-step-size", "Dual-averaging step-size adaptation during warm-up (hmc mode only).")]
    public bool AdaptStepSize { get; set; } = true;

    [SamplerOption("target-accept", "Target mean acceptance statistic δ of dual averaging.")]
    public double TargetAccept { get; set; } = 0.8;

    [SamplerOption("adapt-metric", "Stan-style windowed adaptation of the diagonal inverse metric during warm-up.")]
    public bool AdaptMetric { get; set; } = true;

    [SamplerOption("metric-init-buffer", "Fast warm-up steps before the first metric window (Stan: 75).")]
    public int MetricInitBuffer { get; set; } = 75;

    [SamplerOption("metric-window", "Size of the first slow metric window; later windows double (Stan: 25).")]
    public int MetricWindow { get; set; } = 25;

    [SamplerOption("metric-term-buffer", "Fast warm-up steps after the last metric window (Stan: 50).")]
    public int MetricTermBuffer { get; set; } = 50;

    [SamplerOption("max-energy-error", "A trajectory whose energy error H − H₀ exceeds this is divergent and rejected (Stan: 1000).")]
    public double MaxEnergyError { get; set; } = 1000;

    [SamplerOption("momentum-persistence", "Partial momentum refresh φ in [0, 1): p ← φp + √(1−φ²)·ξ, reversed on rejection. 0 = full redraw.")]
    public double MomentumPersistence { get; set; }

    [SamplerOption("friction", "SGHMC friction C (per unit time); the injected noise is N(0, 2Cε).")]
    public double Friction { get; set; } = 1.0;

    [SamplerOption("momentum-reset", "Naive mode: redraw the momentum when pᵀM⁻¹p exceeds this multiple of D (paper: 200).")]
    public double MomentumResetThreshold { get; set; } = 200;

    public override IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Mode)) yield return $"'mode' must be auto, hmc, sghmc or naive, got {(int)Mode}.";
        if (!(StepSize >= 0) || double.IsInfinity(StepSize)) yield return $"'step-size' must be finite and ≥ 0 (0 = automatic), got {StepSize}.";
        if (Steps < 1) yield return $"'steps' must be ≥ 1, got {Steps}.";
        if (!(PathLength >= 0) || double.IsInfinity(PathLength)) yield return $"'path-length' must be finite and ≥ 0 (0 = use 'steps'), got {PathLength}.";
        if (MaxSteps < 1) yield return $"'max-steps' must be ≥ 1, got {MaxSteps}.";
        if (!(Jitter >= 0 && Jitter < 1)) yield return $"'jitter' must be in [0, 1), got {Jitter}.";
        if (!(TargetAccept > 0 && TargetAccept < 1)) yield return $"'target-accept' must be in (0, 1), got {TargetAccept}.";
        if (MetricInitBuffer < 0) yield return $"'metric-init-buffer' must be ≥ 0, got {MetricInitBuffer}.";
        if (MetricWindow < 2) yield return $"'metric-window' must be ≥ 2, got {MetricWindow}.";
        if (MetricTermBuffer < 0) yield return $"'metric-term-buffer' must be ≥ 0, got {MetricTermBuffer}.";
        if (!(MaxEnergyError > 0)) yield return $"'max-energy-error' must be > 0, got {MaxEnergyError}.";
        if (!(MomentumPersistence >= 0 && MomentumPersistence < 1)) yield return $"'momentum-persistence' must be in [0, 1), got {MomentumPersistence}.";
        if (!(Friction >= 0) || double.IsInfinity(Friction)) yield return $"'friction' must be finite and ≥ 0, got {Friction}.";
        if (!(MomentumResetThreshold > 0)) yield return $"'momentum-reset' must be > 0, got {MomentumResetThreshold}.";
        if (Mode is HmcMode.Sghmc or HmcMode.Naive && StepSize == 0)
            yield return $"'step-size' must be set (> 0) in mode '{Mode.ToString().ToLowerInvariant()}': without an accept test there is nothing to tune it from.";
    }
}
