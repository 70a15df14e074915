using OnnxRay.Abstractions;
using OnnxRay.Sampling.Diagnostics;

namespace OnnxRay.Sampling.Tests.Diagnostics;

/// <summary>
/// Statistical check on AR(1) chains, whose integrated autocorrelation time is known: τ = (1 + φ)/(1 − φ).
/// Each estimator is run on R independent replicates; the mean estimate must lie within 4 Monte Carlo standard
/// errors (spread of replicates / √R) plus the estimator's known finite-N bias bound.
/// </summary>
public class Ar1AutocorrelationTimeTests
{
    private const int Replicates = 24;

    private static double[][] Ar1Chains(ChainRandom random, int chains, int draws, double phi)
    {
        var result = new double[chains][];
        var innovationSd = Math.Sqrt(1 - phi * phi);
        for (var c = 0; c < chains; c++)
        {
            var x = new double[draws];
            x[0] = random.NextGaussian();
            for (var i = 1; i < draws; i++) x[i] = phi * x[i - 1] + innovationSd * random.NextGaussian();
            result[c] = x;
        }
        return result;
    }

    private static void AssertMeanWithinMcse(double[] estimates, double truth, double biasAllowance, string what)
    {
        var mean = estimates.Average();
        var sd = Math.Sqrt(estimates.Sum(e => (e - mean) * (e - mean)) / (estimates.Length - 1));
        var mcse = sd / Math.Sqrt(estimates.Length);
        Assert.True(Math.Abs(mean - truth) <= 4 * mcse + biasAllowance,
            $"{what}: mean τ̂ {mean:F3} vs τ {truth:F3} (MCSE {mcse:F3}, bias allowance {biasAllowance:F3})");
        // the test must be able to fail: MCSE small relative to τ
        Assert.True(mcse < 0.05 * truth, $"{what}: MCSE {mcse:F3} too large to be informative");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.8)]
    [InlineData(0.9)]
    public void SokalTauRecoversTheTrueTime(double phi)
    {
        var truth = (1 + phi) / (1 - phi);
        const int draws = 20000;
        var random = new ChainRandom(1000 + (ulong)(phi * 100));
        var estimates = new double[Replicates];
        for (var r = 0; r < Replicates; r++)
        {
            var tau = IntegratedAutocorrelationTime.Estimate(Ar1Chains(random, 4, draws, phi));
            Assert.True(tau.WindowFound && tau.IsTrusted);
            estimates[r] = tau.Tau;
        }
        // biased autocovariance shrinks ρ̂_t by (1 − t/N): bias ≈ 2·Σ t·φ^t/N = 2φ/((1 − φ)²N)
        AssertMeanWithinMcse(estimates, truth, 2 * phi / ((1 - phi) * (1 - phi) * draws) + 0.05 * Math.Pow(phi, 5 * truth), $"Sokal φ={phi}");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(-0.5)]
    public void GeyerEssRecoversTheTrueTime(double phi)
    {
        var truth = (1 + phi) / (1 - phi);
        const int draws = 10000;
        var random = new ChainRandom(2000 + (ulong)(phi * 100 + 100));
        var estimates = new double[Replicates];
        for (var r = 0; r < Replicates; r++)
        {
            var chains = Ar1Chains(random, 4, draws, phi);
            estimates[r] = 4.0 * draws / EffectiveSampleSize.Basic(chains);
        }
        AssertMeanWithinMcse(estimates, truth, 2 * Math.Abs(phi) / ((1 - phi) * (1 - phi) * draws / 2), $"Geyer φ={phi}");
    }
}
