using OnnxRay.Abstractions;
using OnnxRay.Samplers.RayTracing;
using OnnxRay.Samplers.Tests.Statistics;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.RayTracing;

/// <summary>
/// Known-answer runs of the ray tracing sampler with automatic tuning (fixed seeds, tolerances of 5 MCSE).
/// </summary>
public class RayTracingStatisticalTests
{
    [Fact]
    public void StandardNormal100D()
    {
        var target = GaussianTarget.StandardNormal(100);
        var run = SamplerRuns.Run(target, new RayTracingOptions(), chains: 4, warmup: 200, draws: 1500, seed: 101);
        MomentAssert.MeansAndSecondMoments(run.Draws, target.Mean, target.SecondMoment);
        Assert.Equal(0, run.Divergences);
        Assert.InRange(run.MeanAcceptance, 0.75, 0.98); // tuned towards 0.9
    }

    [Fact]
    public void IllConditionedRotatedGaussian100D()
    {
        var target = GaussianTarget.IllConditioned(100, 100, rotate: true);
        var run = SamplerRuns.Run(target, new RayTracingOptions(), chains: 4, warmup: 300, draws: 2500, seed: 202);
        MomentAssert.MeansAndSecondMoments(run.Draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void StronglyCorrelated2D()
    {
        var target = GaussianTarget.Correlated2D(0.95);
        var run = SamplerRuns.Run(target, new RayTracingOptions(), chains: 4, warmup: 300, draws: 5000, seed: 303);
        MomentAssert.MeansAndSecondMoments(run.Draws, target.Mean, target.SecondMoment);
        // Cross moment E[x₀x₁] = ρ, pooled over chains.
        var rec = new DrawRecorder(1);
        for (var c = 0; c < run.Draws.ChainCount; c++)
        {
            rec.BeginChain();
            var a = run.Draws.Series(c, 0, x => x);
            var b = run.Draws.Series(c, 1, x => x);
            for (var t = 0; t < a.Length; t++) rec.Add([(float)(a[t] * b[t])]);
        }
        var (rho, rhoSe) = rec.Estimate(0, x => x);
        MomentAssert.WithinStandardErrors(rho, 0.95, rhoSe, "E[x0·x1]");
    }

    [Fact]
    public void Rosenbrock()
    {
        var target = new RosenbrockTarget(pairs: 2);
        var run = SamplerRuns.Run(target, new RayTracingOptions(), chains: 4, warmup: 400, draws: 6000, seed: 404,
            start: r => [(float)(1 + r.NextGaussian()), 2, (float)(1 + r.NextGaussian()), 2]);
        MomentAssert.MeansAndSecondMoments(run.Draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void OneDimensionalTargetFallsBackToHmcKicks()
    {
        var target = GaussianTarget.Diagonal([4.0]);
        var run = SamplerRuns.Run(target, new RayTracingOptions(), chains: 4, warmup: 200, draws: 3000, seed: 505);
        MomentAssert.MeansAndSecondMoments(run.Draws, target.Mean, target.SecondMoment);
    }

    [Fact]
    public void PerGroupRaysWithVeryDifferentScales()
    {
        // Group "wide" has variance 1, group "narrow" variance 10⁻²: gradients differ 10× per unit displacement.
        var variances = Enumerable.Repeat(1.0, 8).Concat(Enumerable.Repeat(0.01, 8)).ToArray();
        var inner = GaussianTarget.Diagonal(variances);
        var density = new GroupedDensity(inner, [new ParameterGroup("wide", 0, 8), new ParameterGroup("narrow", 8, 8)]);
        var run = SamplerRuns.Run(density, new RayTracingOptions(), chains: 4, warmup: 300, draws: 3000, seed: 606);
        MomentAssert.MeansAndSecondMoments(run.Draws, inner.Mean, inner.SecondMoment);
    }

    // §1.4 bias check: 10-d N(0, I), dt 0.5, 10 steps, full refresh, no test.
    private static (double Mean, double Se) BiasRun(IntegratorKind kind, bool metropolis, double refreshRate = 0, ulong seed = 11)
    {
        var target = GaussianTarget.StandardNormal(10);
        var options = new RayTracingOptions
        {
            Integrator = kind, StepSize = 0.5, StepsPerTrajectory = 10, RefreshRate = refreshRate, Metropolis = metropolis,
        };
        var run = SamplerRuns.Run(target, options, chains: 4, warmup: 0, draws: 5000, seed: seed);
        return SamplerRuns.MeanSecondMoment(run.Draws);
    }

    [Fact]
    public void WithoutTheTestKdkOverestimatesAndDkdUnderestimatesTheVariance()
    {
        var (kdk, kdkSe) = BiasRun(IntegratorKind.Kdk, metropolis: false);
        var (dkd, dkdSe) = BiasRun(IntegratorKind.Dkd, metropolis: false);
        // Paper/reference: KDK ≈ 1.035, DKD ≈ 0.953.
        Assert.True(kdk > 1 + 4 * kdkSe, $"KDK E[x²] = {kdk:F4} ± {kdkSe:F4} should exceed 1");
        Assert.True(dkd < 1 - 4 * dkdSe, $"DKD E[x²] = {dkd:F4} ± {dkdSe:F4} should be below 1");
        MomentAssert.WithinStandardErrors(kdk, 1.035, kdkSe, "KDK E[x²] vs reference 1.035");
        MomentAssert.WithinStandardErrors(dkd, 0.953, dkdSe, "DKD E[x²] vs reference 0.953");
    }

    [Theory]
    [InlineData(IntegratorKind.Kdk, 0.0)]
    [InlineData(IntegratorKind.Dkd, 0.0)]
    [InlineData(IntegratorKind.RandomKdkDkd, 0.0)]
    [InlineData(IntegratorKind.Omelyan, 0.0)]
    [InlineData(IntegratorKind.Dkd, 1.0)]
    [InlineData(IntegratorKind.Kdk, 1.0)]
    public void WithTheTestEveryIntegratorIsExact(IntegratorKind kind, double refreshRate)
    {
        var (m, se) = BiasRun(kind, metropolis: true, refreshRate, seed: 12);
        MomentAssert.WithinStandardErrors(m, 1.0, se, $"{kind} r={refreshRate} E[x²]");
        Assert.True(se < 0.01, $"MCSE {se} too large for the test to detect a 1% bias");
    }
}
