using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver;
using OnnxRay.Sampling.Tests.Driver.TestKernels;

namespace OnnxRay.Sampling.Tests.ScaleOut;

/// <summary>One writer per chain in a shared run folder: create-or-join, agreement checks, equality with a one-process run.</summary>
public sealed class SharedRunFolderTests
{
    private static SamplingRun Join(string folder, int chain, SamplingRunSettings settings, out bool created, RandomWalkOptions? options = null,
        Func<int, OnnxRay.Abstractions.ILogDensity>? densities = null) =>
        SamplingRun.CreateOrJoin(folder, settings, new RandomWalkFactory(), options ?? new RandomWalkOptions(), DriverRuns.InitialPosition,
            densities ?? DriverRuns.Density, [chain], null, out created);

    [Fact]
    public void ConcurrentTasks_OneCreates_OthersJoin_DrawsEqualOneProcessRun()
    {
        using var temp = new TempFolder();
        var single = temp.Sub("single");
        DriverRuns.Create(single, DriverRuns.Small).Run();

        var shared = temp.Sub("shared");
        var created = new bool[DriverRuns.Small.Chains];
        using var start = new Barrier(DriverRuns.Small.Chains);
        var tasks = Enumerable.Range(0, DriverRuns.Small.Chains).Select(k => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            var run = Join(shared, k, DriverRuns.Small, out created[k]);
            Assert.Equal([k], run.OnlyChains!);
            var result = run.Run();
            Assert.Equal(ChainOutcome.Completed, result.Chains[k]);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);

        Assert.Equal(1, created.Count(c => c));
        Assert.Empty(Directory.GetFiles(shared, "*.tmp"));
        DriverRuns.AssertSameChains(single, shared, DriverRuns.Small.Chains);
        Assert.Equal(File.ReadAllBytes(RunLayout.InitialPositionPath(single)), File.ReadAllBytes(RunLayout.InitialPositionPath(shared)));
    }

    [Fact]
    public void RestartedTask_ResumesItsChainFromTheCheckpoint()
    {
        using var temp = new TempFolder();
        var single = temp.Sub("single");
        DriverRuns.Create(single, DriverRuns.Small).Run();

        var shared = temp.Sub("shared");
        for (var k = 0; k < DriverRuns.Small.Chains; k++)
        {
            // Chain k's task dies in the middle of a transition after its first chunk commit (as a killed process would:
            // nothing is written at that moment; the last checkpoint is the chunk commit's).
            var run = Join(shared, k, DriverRuns.Small, out _,
                densities: c => DriverRuns.Density(c, inner => new TrippingDensity(inner, 150 + 7 * c, () => throw new IOException("task killed"))));
            Assert.ThrowsAny<Exception>(() => run.Run());
            Assert.True(File.Exists(RunLayout.CheckpointPath(shared, k)));
            using (var partial = RunFolder.Open(shared, allowUnstartedChains: true))
                Assert.InRange(partial.Chains[k].DrawCount, DriverRuns.Small.ChunkSize, DriverRuns.Small.Draws - 1);
            Assert.Equal(ChainOutcome.Completed, Join(shared, k, DriverRuns.Small, out var createdAgain).Run().Chains[k]);
            Assert.False(createdAgain);
            Assert.Equal(ChainOutcome.AlreadyCompleted, Join(shared, k, DriverRuns.Small, out _).Run().Chains[k]);
        }
        DriverRuns.AssertSameChains(single, shared, DriverRuns.Small.Chains);
    }

    [Fact]
    public void TaskWithOtherSettings_IsRefusedNamingTheFirstDifferentField()
    {
        using var temp = new TempFolder();
        var shared = temp.Sub("shared");
        Join(shared, 0, DriverRuns.Small, out var created);
        Assert.True(created);

        var seed = Assert.Throws<RunFolderException>(() => Join(shared, 1, DriverRuns.Small with { Seed = DriverRuns.Small.Seed + 1 }, out _));
        Assert.Contains("seed differs", seed.Message);
        var draws = Assert.Throws<RunFolderException>(() => Join(shared, 1, DriverRuns.Small with { Draws = 91 }, out _));
        Assert.Contains("draws differs", draws.Message);
        var chunk = Assert.Throws<RunFolderException>(() => Join(shared, 1, DriverRuns.Small with { ChunkSize = 10 }, out _));
        Assert.Contains("chunk size differs", chunk.Message);
        var option = Assert.Throws<RunFolderException>(() => Join(shared, 1, DriverRuns.Small, out _, new RandomWalkOptions { Scale = 0.123 }));
        Assert.Contains("sampler option", option.Message);
        Assert.False(Directory.Exists(RunLayout.ChainFolder(shared, 1)), "a refused task writes nothing");

        var bad = Assert.Throws<RunSettingsException>(() => Join(shared, 3, DriverRuns.Small, out _));
        Assert.Contains("0 to 2", bad.Message);
    }

    [Fact]
    public void Diagnose_SkipsChainsNotStarted()
    {
        using var temp = new TempFolder();
        var shared = temp.Sub("shared");
        Join(shared, 1, DriverRuns.Small, out _).Run();
        Join(shared, 2, DriverRuns.Small, out _); // joined, folder made, no chunk yet

        var diagnosis = RunDiagnosis.Compute(shared, projections: 2, probeExamples: 0);
        Assert.Equal(1, diagnosis.Chains);
        Assert.Equal(1, diagnosis.ChainStats.Single().Chain);
        Assert.Contains(diagnosis.Warnings, w => w.Contains("chain(s) 0 not started"));
        Assert.Contains(diagnosis.Warnings, w => w.Contains("chain(s) 2 have no complete chunk"));
        Assert.Throws<RunFolderException>(() => RunFolder.Open(shared).Dispose());
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData(null, "4", null, 4)]
    [InlineData(null, null, "2", 2)]
    [InlineData(null, "1", "5", 1)]
    [InlineData("auto", null, "3", 3)]
    [InlineData("7", "1", "5", 7)]
    [InlineData("all", "1", "5", null)]
    public void ArrayTaskIndex_Resolves(string? option, string? kubernetes, string? slurm, int? expected)
    {
        var env = new Dictionary<string, string?> { [ArrayTaskIndex.KubernetesVariable] = kubernetes, [ArrayTaskIndex.SlurmVariable] = slurm };
        Assert.Equal(expected, ArrayTaskIndex.Resolve(option, name => env.GetValueOrDefault(name))?.Index);
    }

    [Fact]
    public void ArrayTaskIndex_RejectsAutoWithoutVariableAndNonNumbers()
    {
        Assert.Contains("neither", Assert.Throws<RunSettingsException>(() => ArrayTaskIndex.Resolve("auto", _ => null)).Message);
        Assert.Contains("SLURM_ARRAY_TASK_ID", Assert.Throws<RunSettingsException>(() => ArrayTaskIndex.Resolve(null, n => n == "SLURM_ARRAY_TASK_ID" ? "x" : null)).Message);
        Assert.Throws<RunSettingsException>(() => ArrayTaskIndex.Resolve("-1", _ => null));
    }
}
