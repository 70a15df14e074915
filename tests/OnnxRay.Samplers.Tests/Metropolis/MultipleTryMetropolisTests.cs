using System.Numerics.Tensors;
using OnnxRay.Abstractions;
using OnnxRay.Samplers.Metropolis;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.Metropolis;

/// <summary>
/// The multiple-proposal mode (proposals = K &gt; 1, multiple-try Metropolis): batch and one-by-one evaluation give the
/// same draws, checkpoints restore exactly, and proposals = 1 is still plain random-walk Metropolis draw for draw.
/// Its known-answer moments are in <see cref="MetropolisStatisticalTests"/>.
/// </summary>
public class MultipleTryMetropolisTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void BatchPathAndSequentialPath_GiveIdenticalDraws(int proposals)
    {
        var target = GaussianTarget.IllConditioned(6, 20, rotate: true);
        var batch = new ConcurrentBatchDensity(target);
        var viaBatch = Trace(batch, target, new MetropolisOptions { Proposals = proposals, AdaptCovariance = true }, steps: 400);
        var oneByOne = Trace(target, target, new MetropolisOptions { Proposals = proposals, AdaptCovariance = true }, steps: 400);
        Assert.Equal(2 * 400, batch.BatchCalls); // proposals, then reference points
        Assert.All(viaBatch, row => Assert.Equal(2 * proposals - 1, row[^2])); // density evaluations per step
        for (var i = 0; i < viaBatch.Count; i++) Assert.Equal(oneByOne[i], viaBatch[i]);
        Assert.Contains(viaBatch, row => row[^1] == 1f); // some steps accepted
        Assert.Contains(viaBatch, row => row[^1] == 0f); // and some rejected
    }

    [Fact]
    public void OneProposal_IsPlainRandomWalkMetropolis_DrawForDraw()
    {
        // The reference: x' = x + σ·ξ, accept if log u < log p(x') − log p(x), one ChainRandom in this order.
        var target = GaussianTarget.Correlated2D(0.9);
        var trace = Trace(target, target, new MetropolisOptions { Proposals = 1, AdaptScale = false, Scale = 0.8 }, steps: 300);
        var random = new ChainRandom(5);
        var x = target.RandomStart(random);
        var logp = target.EvaluateValue(x);
        var noise = new float[2];
        var proposal = new float[2];
        for (var i = 0; i < trace.Count; i++)
        {
            random.FillGaussian(noise);
            TensorPrimitives.MultiplyAdd(noise, 0.8f, x, proposal);
            var logq = target.EvaluateValue(proposal);
            var accepted = Math.Log(random.NextOpenDouble()) < logq - logp;
            if (accepted) { proposal.CopyTo(x, 0); logp = logq; }
            Assert.Equal([x[0], x[1], 1f, accepted ? 1f : 0f], trace[i]);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    [InlineData(700)]
    public void RestoredKernelContinuesBitIdentically(int checkpointAt)
    {
        const int warmup = 600;
        var target = GaussianTarget.IllConditioned(5, 100, rotate: false);
        var options = new MetropolisOptions { Proposals = 3, AdaptCovariance = true };
        MetropolisKernel Started()
        {
            var random = new ChainRandom(3);
            var kernel = new MetropolisKernel(options);
            kernel.Initialize(target, target.RandomStart(random), random);
            kernel.BeginWarmup(warmup);
            return kernel;
        }
        var reference = Started();
        KernelDriving.Advance(reference, 900, warmup);
        var original = Started();
        KernelDriving.Advance(original, checkpointAt, warmup);
        var restored = new MetropolisKernel(options);
        restored.Initialize(target, new float[target.Dimension], new ChainRandom(77));
        KernelDriving.CopyState(original, restored);
        for (var i = checkpointAt; i < 900; i++)
        {
            var a = original.Step();
            var b = restored.Step();
            if (i < warmup) { original.Adapt(a); restored.Adapt(b); }
            if (i == warmup - 1) { original.EndWarmup(); restored.EndWarmup(); }
            Assert.True(original.Position.SequenceEqual(restored.Position), $"step {i}: positions differ");
            Assert.Equal(original.Scale, restored.Scale);
        }
        Assert.True(reference.Position.SequenceEqual(original.Position));
    }

    /// <summary>Position, density evaluations, then 1/0 for accepted, per step (warm-up with adaptation for the first half).</summary>
    private static List<float[]> Trace(ILogDensity density, AnalyticTarget target, MetropolisOptions options, int steps)
    {
        var random = new ChainRandom(5);
        using var kernel = new MetropolisKernel(options);
        kernel.Initialize(density, target.RandomStart(random), random);
        kernel.BeginWarmup(steps / 2);
        var trace = new List<float[]>();
        for (var i = 0; i < steps; i++)
        {
            var info = kernel.Step();
            if (i < steps / 2) kernel.Adapt(info);
            if (i == steps / 2 - 1) kernel.EndWarmup();
            trace.Add([.. kernel.Position, info.DensityEvaluations, info.Accepted ? 1f : 0f]);
        }
        return trace;
    }
}
