using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Options of the ray tracing sampler. Everything defaults to automatic: the step size and the trajectory length are
/// tuned during warm-up, so a user need not hand-tune anything; setting a value fixes it.
/// </summary>
public sealed class RayTracingOptions : SamplerOptions
{
    [SamplerOption("dt", "Effective time step Δt = Δs/√D. Empty = auto: start at 0.001·√(1000/D) and tune during warm-up.")]
    public double? StepSize { get; set; }

    [SamplerOption("steps", "Integration steps per trajectory (one draw per trajectory). Empty = auto: tuned from the posterior scale during warm-up (10 for stochastic densities).")]
    public int? StepsPerTrajectory { get; set; }

    [SamplerOption("integrator", "kdk, dkd, random-kdk-dkd or omelyan. auto = omelyan for exact densities, random-kdk-dkd for minibatch ones.")]
    public IntegratorKind Integrator { get; set; } = IntegratorKind.Auto;

    [SamplerOption("refresh-rate", "Partial velocity refresh rate r per unit time (Ornstein–Uhlenbeck); 0 = redraw v every trajectory. Empty = auto: 0 for exact densities, 1 for minibatch ones.")]
    public double? RefreshRate { get; set; }

    [SamplerOption("metropolis", "Metropolis test at the end of each trajectory. Empty = auto: on for exact densities, off for minibatch ones.")]
    public bool? Metropolis { get; set; }

    [SamplerOption("loss-tolerance", "Threshold test: reject only when log α < −tolerance (and u > e^{log α}). 0 = exact test; with a minibatch density the test uses the exact full-data log p.")]
    public double LossTolerance { get; set; }

    [SamplerOption("noise-variance", "σ²_sto = Var[ln(L_batch/L_true)] of a minibatch density. > 0 uses the stochastic acceptance log α/√(1+σ²_sto) on minibatch log p instead of exact evaluations.")]
    public double NoiseVariance { get; set; }

    [SamplerOption("per-group-rays", "Give each parameter group its own independent ray (recommended when gradient scales differ between layers); false = one ray for all of θ.")]
    public bool PerGroupRays { get; set; } = true;

    [SamplerOption("target-acceptance", "Mean acceptance probability the step-size tuner aims for when the Metropolis test is on.")]
    public double TargetAcceptance { get; set; } = 0.9;

    [SamplerOption("target-energy-variance", "Var[ΔE]/D the step-size tuner aims for when the Metropolis test is off (MCLMC rule).")]
    public double TargetEnergyVariance { get; set; } = 5e-4;

    [SamplerOption("max-energy-error", "A trajectory whose |ΔlnL − ΔlnLum| exceeds this is divergent: it is rejected and flagged.")]
    public double MaxEnergyError { get; set; } = 1000;

    [SamplerOption("max-steps", "Upper limit for the automatically tuned steps per trajectory.")]
    public int MaxStepsPerTrajectory { get; set; } = 1024;

    [SamplerOption("jitter-steps", "Draw each trajectory's step count uniformly from 1…2N−1 (mean N) to avoid periodic orbits; only with refresh-rate 0.")]
    public bool JitterSteps { get; set; } = true;

    public override IEnumerable<string> Validate()
    {
        if (StepSize is { } dt && !(dt > 0 && double.IsFinite(dt)))
            yield return $"dt must be a positive finite number (got {dt}).";
        if (StepsPerTrajectory is { } n && n < 1)
            yield return $"steps must be at least 1 (got {n}).";
        if (!Enum.IsDefined(Integrator))
            yield return $"integrator '{Integrator}' is unknown; use kdk, dkd, random-kdk-dkd, omelyan or auto.";
        if (RefreshRate is { } r && !(r >= 0 && double.IsFinite(r)))
            yield return $"refresh-rate must be ≥ 0 (got {r}).";
        if (!(LossTolerance >= 0 || LossTolerance == -1))
            yield return $"loss-tolerance must be ≥ 0, or −1 to disable the test (got {LossTolerance}).";
        if (!(NoiseVariance >= 0 && double.IsFinite(NoiseVariance)))
            yield return $"noise-variance must be ≥ 0 (got {NoiseVariance}).";
        if (!(TargetAcceptance > 0 && TargetAcceptance < 1))
            yield return $"target-acceptance must lie strictly between 0 and 1 (got {TargetAcceptance}).";
        if (!(TargetEnergyVariance > 0 && double.IsFinite(TargetEnergyVariance)))
            yield return $"target-energy-variance must be positive (got {TargetEnergyVariance}).";
        if (!(MaxEnergyError > 0))
            yield return $"max-energy-error must be positive (got {MaxEnergyError}).";
        if (MaxStepsPerTrajectory < 1)
            yield return $"max-steps must be at least 1 (got {MaxStepsPerTrajectory}).";
        if (StepsPerTrajectory is { } s && s > MaxStepsPerTrajectory)
            yield return $"steps ({s}) exceeds max-steps ({MaxStepsPerTrajectory}).";
    }
}
