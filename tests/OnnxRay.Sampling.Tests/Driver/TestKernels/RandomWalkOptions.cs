using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Tests.Driver.TestKernels;

/// <summary>Options of the test random-walk Metropolis kernel (covers every option type the binder supports).</summary>
public sealed class RandomWalkOptions : SamplerOptions
{
    [SamplerOption("scale", "Initial proposal standard deviation.")]
    public double Scale { get; set; } = 0.5;

    [SamplerOption("target-acceptance", "Acceptance rate targeted during warm-up.")]
    public double TargetAcceptance { get; set; } = 0.3;

    [SamplerOption("adapt", "Adapt the scale during warm-up.")]
    public bool Adapt { get; set; } = true;

    [SamplerOption("proposals-per-step", "Metropolis proposals per transition.")]
    public int ProposalsPerStep { get; set; } = 1;

    [SamplerOption("max-scale", "Upper bound on the adapted scale (none when unset).")]
    public double? MaxScale { get; set; }

    [SamplerOption("label", "Free text, recorded only.")]
    public string Label { get; set; } = "rw";

    [SamplerOption("proposal", "Proposal distribution.")]
    public ProposalKind Proposal { get; set; } = ProposalKind.Gaussian;

    [SamplerOption("budget", "A long option, unused.")]
    public long Budget { get; set; } = 1L << 40;

    public override IEnumerable<string> Validate()
    {
        if (!(Scale > 0) || !double.IsFinite(Scale)) yield return $"scale must be a finite number > 0 (got {Scale}).";
        if (!(TargetAcceptance > 0 && TargetAcceptance < 1)) yield return $"target-acceptance must be in (0, 1) (got {TargetAcceptance}).";
        if (ProposalsPerStep < 1) yield return $"proposals-per-step must be ≥ 1 (got {ProposalsPerStep}).";
    }
}

public enum ProposalKind
{
    Gaussian,
    Uniform,
}
