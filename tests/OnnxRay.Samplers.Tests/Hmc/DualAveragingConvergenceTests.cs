using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc;
using OnnxRay.Samplers.Tests.Statistics;
using OnnxRay.Testing.Targets;
using Xunit.Abstractions;

namespace OnnxRay.Samplers.Tests.Hmc;

public class DualAveragingConvergenceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.6)]
    [InlineData(0.8)]
    [InlineData(0.95)]
    public void PostWarmupAcceptanceMatchesTheTarget(double target)
    {
        // Metric fixed, so dual averaging runs once over the whole warm-up without restarts. The frozen ε̄ is a
        // weighted mean of log ε, not the exact root of E[α(ε)] = δ, so allow ±0.06 (the MCSE of the mean
        // acceptance over 4 × 1500 draws is ≈ 0.005; a sampler that ignored δ would miss by far more).
        var density = GaussianTarget.Diagonal(Enumerable.Range(0, 20).Select(i => 0.5 + 0.1 * i).ToArray());
        var acceptances = new List<double>();
        for (var c = 0; c < 4; c++)
        {
            var random = ChainRandom.ForChain(71, c);
            using var kernel = new HmcKernel(new HmcOptions { TargetAccept = target, AdaptMetric = false, Steps = 5, Jitter = 0.1 });
            var series = new List<double>();
            ChainRunner.Run(kernel, density, density.RandomStart(random), random, warmup: 1500, draws: 1500,
                onDraw: (info, _) => series.Add(info.AcceptanceProbability));
            acceptances.AddRange(series);
            output.WriteLine($"chain {c}: ε = {kernel.StepSize:G4}, mean acceptance {series.Average():F3} ± {MonteCarloError.StandardError(series.ToArray()):F3}");
        }
        Assert.InRange(acceptances.Average(), target - 0.06, target + 0.06);
    }
}
