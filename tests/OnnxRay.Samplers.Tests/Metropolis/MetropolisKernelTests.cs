using OnnxRay.Abstractions;
using OnnxRay.Samplers.Metropolis;
using OnnxRay.Samplers.Tests.Hmc;
using OnnxRay.Testing.Targets;
using Xunit.Abstractions;

namespace OnnxRay.Samplers.Tests.Metropolis;

public class MetropolisKernelTests(ITestOutputHelper output)
{
    private const int Warmup = 600;
    private const int Draws = 200;

    private static MetropolisOptions Options() => new() { AdaptCovariance = true };

    private static MetropolisKernel Started(GaussianTarget target, ulong seed)
    {
        var random = new ChainRandom(seed);
        var kernel = new MetropolisKernel(Options());
        kernel.Initialize(target, target.RandomStart(random), random);
        kernel.BeginWarmup(Warmup);
        return kernel;
    }

    private static List<float[]> Continue(ISamplerKernel kernel, int fromStep)
    {
        var trace = new List<float[]>();
        for (var i = fromStep; i < Warmup + Draws; i++)
        {
            var info = kernel.Step();
            if (i < Warmup) kernel.Adapt(info);
            if (i == Warmup - 1) kernel.EndWarmup();
            trace.Add([.. kernel.Position, (float)info.StepSize, (float)kernel.LogDensity]);
        }
        return trace;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]   // before the shape estimator starts
    [InlineData(200)]  // estimator running, shape already refreshed
    [InlineData(400)]  // after the estimator's half-way restart
    [InlineData(700)]  // after warm-up
    public void RestoredKernelContinuesBitIdentically(int checkpointAt)
    {
        var target = GaussianTarget.IllConditioned(5, 100, rotate: false);
        var reference = Continue(Started(target, 3), 0);
        var original = Started(target, 3);
        KernelDriving.Advance(original, checkpointAt, Warmup);
        var restored = new MetropolisKernel(Options());
        restored.Initialize(target, new float[target.Dimension], new ChainRandom(77));
        KernelDriving.CopyState(original, restored);
        var continued = Continue(original, checkpointAt);
        var resumed = Continue(restored, checkpointAt);

        for (var i = 0; i < continued.Count; i++)
        {
            Assert.Equal(reference[checkpointAt + i], continued[i]);
            Assert.Equal(continued[i], resumed[i]);
        }
    }

    [Fact]
    public void UsesOnlyValueEvaluations()
    {
        var target = GaussianTarget.StandardNormal(4);
        var random = new ChainRandom(2);
        using var kernel = new MetropolisKernel(new MetropolisOptions());
        var summary = ChainRunner.Run(kernel, target, new float[4], random, warmup: 50, draws: 100);
        Assert.Equal(0, target.GradientCalls);
        Assert.Equal(151, target.ValueCalls); // the start plus one per step
        Assert.Equal(150, summary.DensityEvaluations);
    }

    [Theory]
    [InlineData(1, 1, 0.44)]
    [InlineData(10, 1, 0.234)]
    [InlineData(10, 4, 0.234)] // multiple-try mode: the adaptation follows its acceptance probability
    public void ScaleAdaptationReachesTheOptimalAcceptance(int dimension, int proposals, double target)
    {
        // Robbins–Monro with κ = 0.6 settles σ near the root; ±0.04 covers its residual wander (the MCSE of the
        // acceptance rate over 4 × 4000 draws is ≈ 0.004).
        var density = GaussianTarget.Diagonal(Enumerable.Range(0, dimension).Select(i => 0.5 + 0.2 * i).ToArray());
        double acceptance = 0;
        for (var c = 0; c < 4; c++)
        {
            var random = ChainRandom.ForChain(91, c);
            using var kernel = new MetropolisKernel(new MetropolisOptions { Proposals = proposals });
            var s = ChainRunner.Run(kernel, density, density.RandomStart(random), random, warmup: 3000, draws: 4000);
            output.WriteLine($"σ = {kernel.Scale:G4}, acceptance {s.MeanAcceptance:F3}");
            acceptance += s.MeanAcceptance / 4;
        }
        Assert.InRange(acceptance, target - 0.04, target + 0.04);
    }

    [Fact]
    public void RejectsProposalsWhereTheDensityIsNotFinite()
    {
        // A half-line target: log p = −∞ for x < 0. The chain must never step there.
        var density = new HalfLineDensity();
        using var kernel = new MetropolisKernel(new MetropolisOptions { Scale = 2 });
        var random = new ChainRandom(4);
        ChainRunner.Run(kernel, density, [1f], random, warmup: 0, draws: 2000,
            onDraw: (_, k) => Assert.True(k.Position[0] >= 0));
    }

    private sealed class HalfLineDensity : ILogDensity
    {
        public int Dimension => 1;
        public bool IsStochastic => false;
        public long DataSetSize => 0;
        public long BatchSize => 0;
        public IReadOnlyList<ParameterGroup> Groups => ParameterGroup.Whole(1);
        public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => throw new InvalidOperationException("no gradients");
        public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => throw new InvalidOperationException("no gradients");
        public double EvaluateValue(ReadOnlySpan<float> theta) => theta[0] < 0 ? double.NegativeInfinity : -theta[0];
    }
}
