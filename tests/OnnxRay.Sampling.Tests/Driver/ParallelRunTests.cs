using System.Collections.Concurrent;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Tests.Driver;

public class ParallelRunTests
{
    [Fact]
    public void Parallel_and_sequential_runs_store_bit_identical_draws()
    {
        using var temp = new TempFolder();
        var parallel = DriverRuns.Create(temp.Sub("parallel"), DriverRuns.Small);
        parallel.MaxParallelism = 3;
        var sequential = DriverRuns.Create(temp.Sub("sequential"), DriverRuns.Small);
        sequential.MaxParallelism = 1;

        Assert.True(parallel.Run().IsComplete);
        Assert.True(sequential.Run().IsComplete);

        DriverRuns.AssertSameChains(temp.Sub("sequential"), temp.Sub("parallel"), DriverRuns.Small.Chains);
        // The chains themselves differ from each other (per-chain streams and jitter).
        using var run = RunFolder.Open(temp.Sub("parallel"));
        Assert.NotEqual(DriverRuns.AllDraws(run.Chains[0]), DriverRuns.AllDraws(run.Chains[1]));
    }

    [Fact]
    public void A_run_stores_every_draw_with_its_stats_and_leaves_no_temp_files()
    {
        using var temp = new TempFolder();
        var settings = DriverRuns.Small with { Draws = 60, ChunkSize = 25, CheckpointEvery = 7 };
        var reports = new ConcurrentQueue<ChainProgress>();
        var result = DriverRuns.Create(temp.Path, settings).Run(new SynchronousProgress<ChainProgress>(reports.Enqueue));

        Assert.True(result.IsComplete);
        Assert.Equal([60L, 60L, 60L], result.DrawsStored);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));

        using var run = RunFolder.Open(temp.Path);
        var target = OnnxRay.Testing.Targets.GaussianTarget.Diagonal([1, 2, 0.5, 1, 3]);
        foreach (var chain in run.Chains)
        {
            Assert.True(chain.IsComplete);
            Assert.Equal(60, chain.DrawCount);
            // 25 + 25 + 10: the last chunk is short.
            Assert.Equal([25, 25, 10], chain.Chunks.Select(c => c.DrawCount));
            var stats = chain.ReadStats();
            Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), stats.Select(s => s.Draw));
            // Each stats row belongs to its draw: the kernel's log p (Gaussian + the noise layer's ±0.01·z) matches the draw's.
            for (var i = 0; i < 60; i++)
                Assert.Equal(target.EvaluateValue(chain.ReadDraw(i)), stats[i].Step.LogDensity, 0.1);
            Assert.True(stats.Any(s => s.Step.Accepted) && stats.Any(s => !s.Step.Accepted));
        }

        // Progress: every chain reported its warm-up, sampling and the end.
        foreach (var k in Enumerable.Range(0, 3))
        {
            var mine = reports.Where(r => r.Chain == k).ToList();
            Assert.Contains(mine, r => r.Phase == ChainPhase.Sampling);
            var last = mine.Last();
            Assert.Equal(ChainPhase.Done, last.Phase);
            Assert.Equal(60, last.DrawsDone);
            Assert.InRange(last.AcceptanceRate, 0.01, 0.99);
        }
    }

    [Fact]
    public void Float16_storage_holds_the_float32_draws_rounded_to_half()
    {
        using var temp = new TempFolder();
        var settings = DriverRuns.Small with { Chains = 2, Draws = 30 };
        DriverRuns.Create(temp.Sub("f32"), settings).Run();
        DriverRuns.Create(temp.Sub("f16"), settings with { Precision = DrawPrecision.Float16 }).Run();

        using var f32 = RunFolder.Open(temp.Sub("f32"));
        using var f16 = RunFolder.Open(temp.Sub("f16"));
        Assert.Equal("<f2", f16.Manifest.Dtype);
        for (var k = 0; k < 2; k++)
        {
            var full = DriverRuns.AllDraws(f32.Chains[k]);
            var half = DriverRuns.AllDraws(f16.Chains[k]);
            Assert.Equal(full.Select(x => (float)(Half)x), half);
        }
    }

    [Fact]
    public void Only_chains_runs_a_subset_and_a_later_process_completes_the_rest()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Sub("all"), DriverRuns.Small).Run();

        var split = DriverRuns.Create(temp.Sub("split"), DriverRuns.Small);
        split.OnlyChains = [1];
        var first = split.Run();
        Assert.Equal([ChainOutcome.NotRun, ChainOutcome.Completed, ChainOutcome.NotRun], first.Chains);

        var rest = SamplingRun.Resume(temp.Sub("split"), new TestKernels.RandomWalkFactory(), DriverRuns.Density);
        var second = rest.Run();
        Assert.Equal([ChainOutcome.Completed, ChainOutcome.AlreadyCompleted, ChainOutcome.Completed], second.Chains);
        DriverRuns.AssertSameChains(temp.Sub("all"), temp.Sub("split"), 3);
    }
}

/// <summary>An IProgress that calls back on the reporting thread (Progress&lt;T&gt; would post asynchronously).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
