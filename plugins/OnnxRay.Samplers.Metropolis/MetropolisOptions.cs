using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Metropolis;

/// <summary>Options of the "metropolis" sampler (random-walk Metropolis, samplers.md §3).</summary>
public sealed class MetropolisOptions : SamplerOptions
{
    [SamplerOption("scale", "Proposal scale σ in x' = x + σ·s⊙ξ. 0 = automatic: 2.38/√d (optimal for a matched shape s).")]
    public double Scale { get; set; }

    [SamplerOption("adapt-scale", "Robbins–Monro adaptation of log σ towards target-accept during warm-up.")]
    public bool AdaptScale { get; set; } = true;

    [SamplerOption("target-accept", "Target acceptance rate. 0 = automatic: 0.234 (0.44 when d = 1).")]
    public double TargetAccept { get; set; }

    [SamplerOption("adaptation-decay", "Robbins–Monro gain exponent κ in (0.5, 1]: γ_t = (t+1)^−κ.")]
    public double AdaptationDecay { get; set; } = 0.6;

    [SamplerOption("adapt-covariance", "Haario-style adaptive diagonal proposal shape from the warm-up draws' variances (frozen after warm-up).")]
    public bool AdaptCovariance { get; set; }

    [SamplerOption("covariance-regularization", "ε added to every variance estimate of the proposal shape (Haario: Ĉ + εI).")]
    public double CovarianceRegularization { get; set; } = 1e-6;

    [SamplerOption("proposals", "Proposals per step K. 1 = plain random-walk Metropolis; K > 1 = multiple-try Metropolis (Liu, Liang & Wong 2000): " +
                                "K proposals, one picked by weight p(y), accepted against K−1 reference points (2K−1 evaluations per step, " +
                                "each set in one batch call, spread over the device pool when there is one).")]
    public int Proposals { get; set; } = 1;

    /// <summary>Upper bound on <see cref="Proposals"/>: beyond it the batches stop paying for themselves and buffers grow as K·d.</summary>
    public const int MaxProposals = 1024;

    public override IEnumerable<string> Validate()
    {
        if (Proposals is < 1 or > MaxProposals) yield return $"'proposals' must be an integer in [1, {MaxProposals}] (1 = plain random-walk Metropolis), got {Proposals}.";
        if (!(Scale >= 0) || double.IsInfinity(Scale)) yield return $"'scale' must be finite and ≥ 0 (0 = automatic), got {Scale}.";
        if (!(TargetAccept >= 0 && TargetAccept < 1)) yield return $"'target-accept' must be in (0, 1), or 0 for automatic, got {TargetAccept}.";
        if (!(AdaptationDecay > 0.5 && AdaptationDecay <= 1)) yield return $"'adaptation-decay' must be in (0.5, 1], got {AdaptationDecay}.";
        if (!(CovarianceRegularization >= 0) || double.IsInfinity(CovarianceRegularization))
            yield return $"'covariance-regularization' must be finite and ≥ 0, got {CovarianceRegularization}.";
    }
}
