using OnnxRay.Sampling.Diagnostics;

namespace OnnxRay.Sampling.Tests.Diagnostics;

/// <summary>R̂, ESS and MCSE agree with the R package `posterior` 1.4.0 on committed synthetic chains.</summary>
public class PosteriorPackageAgreementTests
{
    // observed agreement is better than 1e-11 relative on every case; 1e-9 leaves room for FFT rounding differences
    private const double RelativeTolerance = 1e-9;

    public static IEnumerable<object[]> Cases => ReferenceCases.Names;

    private static void AssertRelative(double expected, double actual, string what)
    {
        Assert.False(double.IsNaN(expected), $"{what}: reference is NaN");
        var error = Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(error < RelativeTolerance, $"{what}: expected {expected:R}, got {actual:R} (relative error {error:E2})");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RankNormalizedRhatMatches(string name) =>
        AssertRelative(ReferenceCases.Value(name, "rhat"), Rhat.RankNormalized(ReferenceCases.Chains(name)), name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void BasicRhatMatches(string name) =>
        AssertRelative(ReferenceCases.Value(name, "rhat_basic"), Rhat.Basic(ReferenceCases.Chains(name)), name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void BulkEssMatches(string name) =>
        AssertRelative(ReferenceCases.Value(name, "ess_bulk"), EffectiveSampleSize.Bulk(ReferenceCases.Chains(name)), name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void TailEssMatches(string name) =>
        AssertRelative(ReferenceCases.Value(name, "ess_tail"), EffectiveSampleSize.Tail(ReferenceCases.Chains(name)), name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void QuantileEssMatches(string name)
    {
        var chains = ReferenceCases.Chains(name);
        AssertRelative(ReferenceCases.Value(name, "ess_q05"), EffectiveSampleSize.Quantile(chains, 0.05), name + " q05");
        AssertRelative(ReferenceCases.Value(name, "ess_q95"), EffectiveSampleSize.Quantile(chains, 0.95), name + " q95");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BasicEssMatches(string name) =>
        AssertRelative(ReferenceCases.Value(name, "ess_basic"), EffectiveSampleSize.Basic(ReferenceCases.Chains(name)), name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void McseOfMeanMatches(string name) =>
        AssertRelative(ReferenceCases.Value(name, "mcse_mean"), MonteCarloStandardError.Mean(ReferenceCases.Chains(name)), name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SokalTauMatchesEmcee(string name) =>
        AssertRelative(ReferenceCases.Value(name, "emcee_tau"), IntegratedAutocorrelationTime.Estimate(ReferenceCases.Chains(name)).Tau, name);

    [Fact]
    public void SummaryCarriesTheSameNumbers()
    {
        var chains = ReferenceCases.Chains("ar1_phi09");
        var summary = PosteriorSummary.Summarize("x", chains);
        AssertRelative(ReferenceCases.Value("ar1_phi09", "rhat"), summary.Rhat, "rhat");
        AssertRelative(ReferenceCases.Value("ar1_phi09", "ess_bulk"), summary.EssBulk, "ess_bulk");
        AssertRelative(ReferenceCases.Value("ar1_phi09", "ess_tail"), summary.EssTail, "ess_tail");
        AssertRelative(ReferenceCases.Value("ar1_phi09", "mcse_mean"), summary.McseMean, "mcse");
        AssertRelative(ReferenceCases.Value("ar1_phi09", "emcee_tau"), summary.Tau, "tau");
        Assert.Equal(4, summary.Chains);
        Assert.Equal(1000, summary.DrawsPerChain);
        Assert.True(summary.Q5 < summary.Q50 && summary.Q50 < summary.Q95);
        Assert.False(summary.IsConverged); // bulk-ESS ≈ 245 < 400
    }
}
