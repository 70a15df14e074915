using System.Globalization;
using OnnxRay.Abstractions;
using OnnxRay.Samplers.Metropolis;
using OnnxRay.Samplers.Tests.Hmc;
using OnnxRay.Samplers.Tests.Statistics;
using OnnxRay.Testing.Targets;
using Xunit.Abstractions;

namespace OnnxRay.Samplers.Tests.Metropolis;

/// <summary>
/// Known-answer targets for random-walk Metropolis, E[x] and E[x²] within 5 MCSE. Dimensions are smaller than
/// HMC's (10 instead of 100): RWM needs O(d) steps per independent draw, so a 100-d run long enough for a tight
/// MCSE would take minutes.
/// </summary>
public class MetropolisStatisticalTests(ITestOutputHelper output)
{
    /// <summary>Four chains; every 5th draw is recorded (random-walk draws are strongly autocorrelated anyway).</summary>
    private DrawRecorder Sample(AnalyticTarget target, MetropolisOptions options, int warmup, int draws, ulong seed, List<MetropolisKernel>? kernels = null)
    {
        var recorder = new DrawRecorder(target.Dimension);
        for (var c = 0; c < 4; c++)
        {
            var random = ChainRandom.ForChain(seed, c);
            var kernel = new MetropolisKernel(options);
            var s = ChainRunner.Run(kernel, target, target.RandomStart(random), random, warmup, draws, recorder, thin: 5);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"σ {kernel.Scale:G3} acceptance {s.MeanAcceptance:F3}"));
            kernels?.Add(kernel);
        }
        return recorder;
    }

    [Fact]
    public void StandardNormal10D()
    {
        var target = GaussianTarget.StandardNormal(10);
        var draws = Sample(target, new MetropolisOptions(), warmup: 2000, draws: 15000, seed: 101);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void IllConditioned10DWithAdaptiveDiagonalCovariance()
    {
        // κ = 100 on the axes: the adaptive shape must learn the per-coordinate scales (sd 0.32 … 3.2).
        var target = GaussianTarget.IllConditioned(10, 100, rotate: false);
        var kernels = new List<MetropolisKernel>();
        var draws = Sample(target, new MetropolisOptions { AdaptCovariance = true }, warmup: 4000, draws: 15000, seed: 102, kernels);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
        // The frozen shape is the sd estimate from ≈ 2000 strongly autocorrelated draws: within a factor 1.6.
        var sd = target.Variances.Select(Math.Sqrt).ToArray();
        foreach (var kernel in kernels)
            for (var i = 0; i < sd.Length; i++)
                Assert.InRange(kernel.Shape[i] / sd[i], 1 / 1.6, 1.6);
    }

    [Fact]
    public void StronglyCorrelated2D()
    {
        var target = GaussianTarget.Correlated2D(0.95);
        var draws = Sample(target, new MetropolisOptions(), warmup: 2000, draws: 20000, seed: 103);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void Rosenbrock()
    {
        var target = new RosenbrockTarget(1);
        var draws = Sample(target, new MetropolisOptions { AdaptCovariance = true }, warmup: 4000, draws: 40000, seed: 104);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
    }

    // Multiple-proposal mode (proposals = K, multiple-try Metropolis): the 100-d case is affordable here because each
    // step moves further than a single random-walk proposal.

    [Fact]
    public void MultipleProposals_StandardNormal100D()
    {
        var target = GaussianTarget.StandardNormal(100);
        var draws = Sample(target, new MetropolisOptions { Proposals = 4 }, warmup: 3000, draws: 30000, seed: 201);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void MultipleProposals_StronglyCorrelated2D()
    {
        var target = GaussianTarget.Correlated2D(0.95);
        var draws = Sample(target, new MetropolisOptions { Proposals = 3 }, warmup: 2000, draws: 20000, seed: 202);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void MultipleProposals_IllConditioned10DWithAdaptiveDiagonalCovariance()
    {
        var target = GaussianTarget.IllConditioned(10, 100, rotate: false);
        var draws = Sample(target, new MetropolisOptions { Proposals = 5, AdaptCovariance = true }, warmup: 4000, draws: 15000, seed: 203);
        MomentAssert.MeansAndSecondMoments(draws, target.Mean, target.SecondMoment);
    }
}
