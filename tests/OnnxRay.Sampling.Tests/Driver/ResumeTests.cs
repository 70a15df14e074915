using OnnxRay.Abstractions;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver.TestKernels;

namespace OnnxRay.Sampling.Tests.Driver;

public class ResumeTests
{
    private static readonly SamplingRunSettings Settings = DriverRuns.Small with { CheckpointEvery = 11 };

    // Evaluations per chain: 1 at Initialize + 1 per transition (40 warm-up + 180 sampling). Trip points cover warm-up,
    // the end of warm-up, mid-chunk and just after a chunk commit.
    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(41)]
    [InlineData(42)]
    [InlineData(93)]
    [InlineData(91)]
    [InlineData(219)]
    public void Cancelled_then_resumed_run_equals_the_uninterrupted_run(long cancelAfterEvaluations)
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Sub("reference"), Settings).Run();

        using var cts = new CancellationTokenSource();
        // Chain 1 presses Ctrl-C at its n-th evaluation; the other chains stop wherever they are at that moment.
        var interrupted = DriverRuns.Create(temp.Sub("resumed"), Settings,
            k => DriverRuns.Density(k, inner => k == 1 ? new TrippingDensity(inner, cancelAfterEvaluations, cts.Cancel) : inner));
        var first = interrupted.Run(cancellationToken: cts.Token);
        Assert.Equal(ChainOutcome.Interrupted, first.Chains[1]);
        Assert.False(first.IsComplete);
        Assert.Empty(Directory.GetFiles(temp.Sub("resumed"), "*.tmp", SearchOption.AllDirectories));

        var second = SamplingRun.Resume(temp.Sub("resumed"), new RandomWalkFactory(), DriverRuns.Density).Run();
        Assert.True(second.IsComplete);
        DriverRuns.AssertSameChains(temp.Sub("reference"), temp.Sub("resumed"), Settings.Chains);
    }

    [Fact]
    public void A_run_stopped_before_its_first_chunk_with_the_older_stats_header_resumes()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Sub("reference"), Settings).Run();

        var folder = temp.Sub("older");
        DriverRuns.Create(folder, Settings).Run(cancellationToken: new CancellationToken(true));
        // The stats header before the energy column was added (10 fields).
        var olderHeader = DrawStats.Header.Replace(",energy", "");
        Assert.NotEqual(DrawStats.Header, olderHeader);
        for (var k = 0; k < Settings.Chains; k++)
        {
            using (var partial = RunFolder.Open(folder, allowUnstartedChains: true)) Assert.Equal(0, partial.Chains[k].DrawCount);
            File.WriteAllText(RunLayout.StatsPath(folder, k), olderHeader);
        }

        Assert.True(SamplingRun.Resume(folder, new RandomWalkFactory(), DriverRuns.Density).Run().IsComplete);
        DriverRuns.AssertSameChains(temp.Sub("reference"), folder, Settings.Chains);
    }

    [Fact]
    public void Several_interruptions_in_a_row_still_equal_the_uninterrupted_run()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Sub("reference"), Settings).Run();

        var folder = temp.Sub("resumed");
        DriverRuns.Create(folder, Settings with { }, DriverRuns.Density).Run(cancellationToken: new CancellationToken(true));
        var random = new Random(7);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var cts = new CancellationTokenSource();
            var tripAt = random.Next(1, 60);
            var run = SamplingRun.Resume(folder, new RandomWalkFactory(),
                k => DriverRuns.Density(k, inner => new TrippingDensity(inner, tripAt, cts.Cancel)));
            if (run.Run(cancellationToken: cts.Token).IsComplete) break;
        }
        var last = SamplingRun.Resume(folder, new RandomWalkFactory(), DriverRuns.Density).Run();
        Assert.True(last.IsComplete);
        DriverRuns.AssertSameChains(temp.Sub("reference"), folder, Settings.Chains);
    }

    [Fact]
    public void A_crash_mid_transition_loses_nothing_committed_and_resume_repairs_the_debris()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Sub("reference"), Settings).Run();

        var folder = temp.Sub("crashed");
        // Chain 2 dies inside transition 120 (after several chunks): no checkpoint is written for it.
        var run = DriverRuns.Create(folder, Settings,
            k => DriverRuns.Density(k, inner => k == 2 ? new TrippingDensity(inner, 120, () => throw new IOException("disk unplugged")) : inner));
        var failure = Assert.Throws<ChainFailedException>(() => run.Run());
        Assert.Equal(2, failure.Chain);
        Assert.Contains("disk unplugged", failure.Message);

        // What a crash between a chunk write and its checkpoint can leave: a temp file, rows past the committed
        // stats, a chunk file that no index lists.
        var chain2 = RunLayout.ChainFolder(folder, 2);
        File.WriteAllText(Path.Combine(chain2, "draws-0007.npy.tmp"), "torn");
        File.AppendAllText(Path.Combine(chain2, DrawStats.FileName), "999,torn row");
        File.WriteAllText(Path.Combine(chain2, RunLayout.ChunkFileName(6)), "not yet indexed");
        using (var before = RunFolder.Open(folder)) Assert.True(before.Chains[2].DrawCount > 0);

        var resumed = SamplingRun.Resume(folder, new RandomWalkFactory(), DriverRuns.Density).Run();
        Assert.True(resumed.IsComplete);
        File.Delete(Path.Combine(chain2, RunLayout.ChunkFileName(6))); // the reference has only chunks 0–3
        DriverRuns.AssertSameChains(temp.Sub("reference"), folder, Settings.Chains);
    }

    [Fact]
    public void Resuming_a_completed_run_changes_nothing()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings).Run();
        var before = Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

        var result = SamplingRun.Resume(temp.Path, new RandomWalkFactory(), _ => throw new InvalidOperationException("a finished chain needs no density")).Run();

        Assert.All(result.Chains, c => Assert.Equal(ChainOutcome.AlreadyCompleted, c));
        Assert.Equal(Enumerable.Repeat((long)Settings.Draws, Settings.Chains), result.DrawsStored);
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file));
    }

    [Fact]
    public void Resume_takes_the_options_from_the_manifest()
    {
        using var temp = new TempFolder();
        var custom = new RandomWalkOptions { Scale = 0.9, TargetAcceptance = 0.45, MaxScale = 2.5, Proposal = ProposalKind.Uniform };
        DriverRuns.Create(temp.Sub("reference"), Settings, options: custom).Run();
        DriverRuns.Create(temp.Sub("resumed"), Settings, options: custom).Run(cancellationToken: new CancellationToken(true));

        var resumed = SamplingRun.Resume(temp.Sub("resumed"), new RandomWalkFactory(), DriverRuns.Density);
        Assert.Equal("0.45", resumed.Manifest.Sampler.Options["target-acceptance"]);
        Assert.Equal("Uniform", resumed.Manifest.Sampler.Options["proposal"]);
        resumed.Run();
        DriverRuns.AssertSameChains(temp.Sub("reference"), temp.Sub("resumed"), Settings.Chains);
    }

    [Fact]
    public void Resume_refuses_another_sampler_and_a_folder_without_a_manifest()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Sub("run"), Settings).Run(cancellationToken: new CancellationToken(true));

        var wrongSampler = Assert.Throws<RunFolderException>(() => SamplingRun.Resume(temp.Sub("run"), new OtherFactory(), DriverRuns.Density));
        Assert.Contains("test-random-walk", wrongSampler.Message);
        Assert.EndsWith(RunLayout.ManifestFileName, wrongSampler.FilePath);

        Directory.CreateDirectory(temp.Sub("empty"));
        var missing = Assert.Throws<RunFolderException>(() => SamplingRun.Resume(temp.Sub("empty"), new RandomWalkFactory(), DriverRuns.Density));
        Assert.Contains("manifest", missing.Message);
    }

    [Fact]
    public void A_damaged_checkpoint_is_named_and_the_other_chains_keep_their_progress()
    {
        using var temp = new TempFolder();
        var folder = temp.Sub("run");
        using (var cts = new CancellationTokenSource())
        {
            // One chain at a time: chain 0 completes, chain 1 is interrupted mid-way, chain 2 stops at once.
            var run = DriverRuns.Create(folder, Settings, k => DriverRuns.Density(k, inner => k == 1 ? new TrippingDensity(inner, 150, cts.Cancel) : inner));
            run.MaxParallelism = 1;
            Assert.Equal([ChainOutcome.Completed, ChainOutcome.Interrupted, ChainOutcome.Interrupted], run.Run(cancellationToken: cts.Token).Chains);
        }
        var checkpoint = RunLayout.CheckpointPath(folder, 1);
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(checkpoint, bytes);

        var e = Assert.Throws<RunFolderException>(() => SamplingRun.Resume(folder, new RandomWalkFactory(), DriverRuns.Density).Run());
        Assert.Equal(checkpoint, e.FilePath);
        Assert.Contains("corrupt", e.Message);
        using var opened = RunFolder.Open(folder);
        Assert.True(opened.Chains[0].IsComplete);
    }

    [Fact]
    public void A_new_run_refuses_a_folder_that_holds_a_run()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings);
        var e = Assert.Throws<RunFolderException>(() => DriverRuns.Create(temp.Path, Settings));
        Assert.Contains("resume", e.Message);
    }

    [Theory]
    [InlineData("chains")]
    [InlineData("thin")]
    [InlineData("chunk-size")]
    [InlineData("draws")]
    [InlineData("jitter")]
    public void Invalid_settings_name_the_setting(string setting)
    {
        var bad = setting switch
        {
            "chains" => Settings with { Chains = 0 },
            "thin" => Settings with { Thin = 0 },
            "chunk-size" => Settings with { ChunkSize = 0 },
            "draws" => Settings with { Draws = -1 },
            _ => Settings with { InitialJitter = double.NaN },
        };
        using var temp = new TempFolder();
        var e = Assert.Throws<RunSettingsException>(() => DriverRuns.Create(temp.Sub("run"), bad));
        Assert.Equal(setting, e.Setting);
        Assert.False(Directory.Exists(temp.Sub("run")));
    }

    private sealed class OtherFactory : SamplerFactory<RandomWalkOptions>
    {
        public override string Name => "other";
        public override string Description => "";
        protected override ISamplerKernel CreateKernel(RandomWalkOptions options) => new RandomWalkKernel(options);
    }
}
