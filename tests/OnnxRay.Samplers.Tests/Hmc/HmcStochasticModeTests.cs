using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc;
using OnnxRay.Samplers.Tests.Statistics;
using Xunit.Abstractions;

namespace OnnxRay.Samplers.Tests.Hmc;

/// <summary>The minibatch modes on the paper's Gaussian noise toy model (exact target N(0, I)).</summary>
public class HmcStochasticModeTests(ITestOutputHelper output)
{
    private const int Dimension = 10;

    private DrawRecorder Sample(HmcOptions options, double noise, ulong seed, int draws = 3000, int warmup = 200)
    {
        var recorder = new DrawRecorder(Dimension);
        for (var c = 0; c < 4; c++)
        {
            var random = ChainRandom.ForChain(seed, c);
            var density = new NoisyGaussianDensity(Dimension, noise, seed * 100 + (ulong)c);
            using var kernel = new HmcKernel(options);
            var start = new float[Dimension];
            random.FillGaussian(start);
            var s = ChainRunner.Run(kernel, density, start, random, warmup, draws, recorder);
            Assert.Equal(0, s.Divergences);
        }
        return recorder;
    }

    /// <summary>Plain average of x_i² over coordinates and draws (no MCSE needed for the coarse heating contrast).</summary>
    private static double MeanSecondMoment(DrawRecorder draws) =>
        Enumerable.Range(0, Dimension).Average(i =>
            Enumerable.Range(0, draws.ChainCount).Average(c => draws.Series(c, i, x => x * x).Average()));

    [Fact]
    public void AutoModePicksSghmcForMinibatchDensities()
    {
        using var kernel = new HmcKernel(new HmcOptions { StepSize = 0.1 });
        kernel.Initialize(new NoisyGaussianDensity(3, 1, 1), new float[3], new ChainRandom(1));
        Assert.Equal(HmcMode.Sghmc, kernel.Mode);
        using var exact = new HmcKernel(new HmcOptions());
        exact.Initialize(OnnxRay.Testing.Targets.GaussianTarget.StandardNormal(3), new float[3], new ChainRandom(1));
        Assert.Equal(HmcMode.Hmc, exact.Mode);
    }

    [Fact]
    public void SghmcWithSmallNoiseSamplesTheTarget()
    {
        // Bias of SGHMC with B̂ = 0 is ≈ εσ²/(2C) = 0.05·0.09/2 ≈ 0.2% of E[x²]: below the MCSE here.
        var draws = Sample(new HmcOptions { Mode = HmcMode.Sghmc, StepSize = 0.05, Steps = 20, Friction = 1 }, noise: 0.3, seed: 81);
        MomentAssert.MeansAndSecondMoments(draws, new double[Dimension], Enumerable.Repeat(1.0, Dimension).ToArray());
    }

    [Fact]
    public void ExactModeStaysExactWithNoisyInteriorGradients()
    {
        // hmc mode on a minibatch density: noisy kicks inside the trajectory, exact gradients at both ends and an
        // exact energy test. The map stays reversible and volume preserving, so the moments must be exact.
        var draws = Sample(new HmcOptions { Mode = HmcMode.Hmc, Steps = 8 }, noise: 0.5, seed: 82, draws: 2000, warmup: 300);
        MomentAssert.MeansAndSecondMoments(draws, new double[Dimension], Enumerable.Repeat(1.0, Dimension).ToArray());
    }

    [Fact]
    public void FrictionRemovesTheHeatingThatNaiveStochasticHmcSuffers()
    {
        // Noise sd 2, ε = 0.05, persistent momentum (φ = 0.9 per trajectory of 20 steps). Naive kicks add
        // ε²σ² = 0.01 per step to each momentum coordinate's variance with nothing to remove it but the partial refresh,
        // so E[x²] ends well above 1 (3.6 measured). SGHMC with C = 2 predicts a bias of εσ²/(2C) = 5% (1.044 measured).
        var naive = Sample(new HmcOptions { Mode = HmcMode.Naive, StepSize = 0.05, Steps = 20, MomentumPersistence = 0.9 }, noise: 2, seed: 83);
        var sghmc = Sample(new HmcOptions { Mode = HmcMode.Sghmc, StepSize = 0.05, Steps = 20, MomentumPersistence = 0.9, Friction = 2 }, noise: 2, seed: 84);
        var naiveX2 = MeanSecondMoment(naive);
        var sghmcX2 = MeanSecondMoment(sghmc);
        output.WriteLine($"E[x²]: naive {naiveX2:F3}, sghmc {sghmcX2:F3}");
        Assert.True(naiveX2 > 1.3, $"naive stochastic HMC should heat: E[x²] = {naiveX2:F3}");
        Assert.InRange(sghmcX2, 0.9, 1.15);
    }
}
