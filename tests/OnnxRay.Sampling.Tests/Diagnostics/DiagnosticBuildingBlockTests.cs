using OnnxRay.Abstractions;
using OnnxRay.Sampling.Diagnostics;

namespace OnnxRay.Sampling.Tests.Diagnostics;

/// <summary>Split chains, ranks, autocovariance, degenerate inputs.</summary>
public class DiagnosticBuildingBlockTests
{
    [Fact]
    public void SplitDropsTheMiddleDrawOfAnOddChain()
    {
        var split = SplitChains.Split([[1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10]]);
        Assert.Equal(4, split.Length);
        Assert.Equal([1.0, 2], split[0]);
        Assert.Equal([4.0, 5], split[1]);
        Assert.Equal([6.0, 7], split[2]);
        Assert.Equal([9.0, 10], split[3]);
    }

    [Fact]
    public void TiesGetAverageRanks()
    {
        var ranks = RankNormalization.AverageRanks([3.0, 1.0, 3.0, 2.0, 3.0, 0.5]);
        Assert.Equal([5.0, 2.0, 5.0, 3.0, 5.0, 1.0], ranks);
    }

    [Fact]
    public void RankNormalisedDrawsUseBlomOffset()
    {
        var z = RankNormalization.ZScale([[10.0, 30.0], [20.0, 40.0]]);
        // ranks 1,3 / 2,4 of S = 4: z = Φ⁻¹((r − 3/8)/(4 + 1/4))
        Assert.Equal(OnnxRay.Onnx.Prediction.Aggregation.StandardNormal.InverseCdf((3 - 0.375) / 4.25), z[0][1], 15);
        Assert.Equal(-z[0][0], z[1][1], 14);
    }

    [Fact]
    public void FftAutocovarianceEqualsTheDirectSum()
    {
        var random = new ChainRandom(7);
        var x = new double[300];
        for (var i = 1; i < x.Length; i++) x[i] = 0.7 * x[i - 1] + random.NextGaussian();
        var fft = Autocovariance.Biased(x);
        var mean = x.Average();
        for (var t = 0; t < x.Length; t += 13)
        {
            var direct = 0.0;
            for (var i = 0; i + t < x.Length; i++) direct += (x[i] - mean) * (x[i + t] - mean);
            direct /= x.Length;
            Assert.Equal(direct, fft[t], 12);
        }
    }

    [Fact]
    public void ConstantOrNonFiniteDrawsGiveNaNNeverInfinity()
    {
        double[][] constant = [[2.0, 2, 2, 2, 2, 2, 2, 2], [2.0, 2, 2, 2, 2, 2, 2, 2]];
        double[][] withInfinity = [[1.0, 2, 3, double.PositiveInfinity, 5, 6, 7, 8], [1.0, 2, 3, 4, 5, 6, 7, 9]];
        double[][] withNaN = [[1.0, 2, 3, double.NaN, 5, 6, 7, 8], [1.0, 2, 3, 4, 5, 6, 7, 9]];
        foreach (var (name, chains) in new[] { ("constant", constant), ("infinity", withInfinity), ("NaN", withNaN) })
        {
            Assert.True(double.IsNaN(Rhat.RankNormalized(chains)), name + " rhat");
            Assert.True(double.IsNaN(Rhat.Basic(chains)), name + " rhat basic");
            Assert.True(double.IsNaN(EffectiveSampleSize.Bulk(chains)), name + " bulk");
            Assert.True(double.IsNaN(EffectiveSampleSize.Tail(chains)), name + " tail");
            Assert.True(double.IsNaN(MonteCarloStandardError.Mean(chains)), name + " mcse");
            Assert.True(double.IsNaN(IntegratedAutocorrelationTime.Estimate(chains).Tau), name + " tau");
            Assert.False(IntegratedAutocorrelationTime.Estimate(chains).IsTrusted, name + " trusted");
        }
    }

    [Fact]
    public void UnequalChainsAreRejectedWithAMessage()
    {
        var error = Assert.Throws<ArgumentException>(() => Rhat.Basic([[1.0, 2, 3], [1.0, 2]]));
        Assert.Contains("chain 1", error.Message);
    }

    [Fact]
    public void ShiftedChainRaisesRhatAboveThreshold()
    {
        var random = new ChainRandom(11);
        var chains = new double[4][];
        for (var c = 0; c < 4; c++)
        {
            chains[c] = new double[1000];
            for (var i = 0; i < 1000; i++) chains[c][i] = random.NextGaussian() + (c == 3 ? 2.0 : 0.0);
        }
        Assert.True(Rhat.RankNormalized(chains) > 1.1);
        chains[3] = chains[3].Select(v => v - 2.0).ToArray();
        Assert.True(Rhat.RankNormalized(chains) < Rhat.Threshold);
    }

    [Fact]
    public void EnergyBfmiIsTwoForIndependentEnergiesAndSmallForARandomWalk()
    {
        var random = new ChainRandom(3);
        var iid = new double[20000];
        random.FillGaussian(iid);
        var bfmi = EnergyBfmi.Compute(iid);
        // E-BFMI of iid draws → 2; its sampling sd is ~√(8/N)·... ≈ 0.02 at N = 20000
        Assert.InRange(bfmi, 1.92, 2.08);

        var walk = new double[20000];
        for (var i = 1; i < walk.Length; i++) walk[i] = walk[i - 1] + random.NextGaussian();
        Assert.True(EnergyBfmi.IsLow(EnergyBfmi.Compute(walk)));
        // differences 1, −1, 2 → 6; deviations from 1.75 → 2.75
        Assert.Equal(6.0 / 2.75, EnergyBfmi.Compute([1.0, 2.0, 1.0, 3.0]), 14);
        Assert.True(double.IsNaN(EnergyBfmi.Compute([1.0, 1.0, 1.0])));
    }

    [Fact]
    public void SokalWindowFlagsShortChains()
    {
        // a slow drift: emcee's integrated_time gives τ = 22.2356 with window 115 here; 200 draws < 50·τ
        var x = Enumerable.Range(0, 200).Select(i => Math.Sin(2 * Math.PI * i / 500.0)).ToArray();
        var tau = IntegratedAutocorrelationTime.Estimate(x);
        Assert.Equal(115, tau.Window);
        Assert.Equal(22.235643539530752, tau.Tau, 9);
        Assert.False(tau.IsTrusted);

        var fine = new AutocorrelationTime(Tau: 10, Window: 50, ChainLength: 500, WindowFound: true);
        Assert.True(fine.IsTrusted);
        Assert.False(fine.IsLongRelativeToChain);
        Assert.False((fine with { ChainLength = 499 }).IsTrusted);
        Assert.True((fine with { ChainLength = 49 }).IsLongRelativeToChain);
    }
}
