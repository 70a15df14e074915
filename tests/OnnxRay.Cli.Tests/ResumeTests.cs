using System.Diagnostics;
using System.Text.Json;

namespace OnnxRay.Cli.Tests;

/// <summary>kill -9 in the middle of `onnxray sample`, then `onnxray sample --resume`: the same bytes as an uninterrupted run.</summary>
[Collection(CliCollection.Name)]
public sealed class ResumeTests
{
    private const int Draws = 100;
    private const int ChunkSize = 5;

    [Fact]
    public void Sigkill_mid_run_then_resume_gives_bit_identical_draws_and_stats()
    {
        var root = CliTool.NewTempFolder("resume");
        try
        {
            var runA = Path.Combine(root, "a");
            var runB = Path.Combine(root, "b");
            CliTool.RunOk(BostonRunFixture.SampleArgs(runA, warmup: 10, draws: Draws, chunkSize: ChunkSize));

            // Run B: the same command, killed (SIGKILL, whole tree) as soon as a chunk is committed.
            var committedAtKill = new int[BostonRunFixture.Chains];
            using (var process = CliTool.Start(BostonRunFixture.SampleArgs(runB, warmup: 10, draws: Draws, chunkSize: ChunkSize)))
            {
                var watch = Stopwatch.StartNew();
                while (CommittedChunks(runB).Sum() == 0)
                {
                    Assert.False(process.HasExited, $"run B exited (code {(process.HasExited ? process.ExitCode : 0)}) before committing a chunk");
                    Assert.True(watch.Elapsed < CliTool.DefaultTimeout, "run B committed no chunk in time");
                    Thread.Sleep(20);
                }
                Assert.False(process.HasExited, "run B finished before it could be killed; the test would prove nothing (make the run longer)");
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Assert.NotEqual(0, process.ExitCode); // killed, not finished
            }
            committedAtKill = CommittedChunks(runB);
            var total = Draws / ChunkSize;
            Assert.True(committedAtKill.Any(c => c < total), $"every chain was complete at the kill: {string.Join(",", committedAtKill)}");
            Assert.True(File.Exists(Path.Combine(runB, "manifest.json")));

            var resumed = CliTool.RunOk("sample", "--resume", runB);
            Assert.Contains("Resum", resumed.StdOut);

            for (var k = 0; k < BostonRunFixture.Chains; k++)
            {
                var a = Path.Combine(runA, $"chain-{k}");
                var b = Path.Combine(runB, $"chain-{k}");
                Assert.Equal(total, CommittedChunks(runB)[k]);
                for (var c = 0; c < total; c++)
                {
                    var name = $"draws-{c:D4}.npy";
                    Assert.True(File.ReadAllBytes(Path.Combine(a, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, name))),
                        $"chain {k} {name} differs between the uninterrupted run and the killed+resumed run (killed with {committedAtKill[k]} chunks committed)");
                }
                Assert.Equal(File.ReadAllLines(Path.Combine(a, "stats.csv")), File.ReadAllLines(Path.Combine(b, "stats.csv")));
                Assert.Equal(1 + Draws, File.ReadAllLines(Path.Combine(b, "stats.csv")).Length);
                Assert.Equal(ChunkShas(a), ChunkShas(b));
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Committed chunks per chain, read from chunks.json (0 when it does not exist yet or is being replaced).</summary>
    private static int[] CommittedChunks(string run)
    {
        var counts = new int[BostonRunFixture.Chains];
        for (var k = 0; k < counts.Length; k++)
        {
            var path = Path.Combine(run, $"chain-{k}", "chunks.json");
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                counts[k] = doc.RootElement.GetProperty("chunks").GetArrayLength();
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        }
        return counts;
    }

    private static string[] ChunkShas(string chainFolder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(chainFolder, "chunks.json")));
        return doc.RootElement.GetProperty("chunks").EnumerateArray().Select(e => e.GetProperty("sha256").GetString()!).ToArray();
    }
}
