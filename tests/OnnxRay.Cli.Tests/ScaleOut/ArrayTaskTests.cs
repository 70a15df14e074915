using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests.ScaleOut;

/// <summary>
/// Chains as array tasks: real <c>onnxray</c> processes, one per chain index, write into one shared run folder; one is
/// killed mid-run and restarted; the result must equal a single-process run with the same seed, draw for draw.
/// </summary>
public sealed class ArrayTaskTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "onnxray-scale-" + Guid.NewGuid().ToString("N"));

    public ArrayTaskTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static string Model => Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx");
    private static string Data(string split) => Path.Combine(RepositoryPaths.Models, "data", "boston", split + ".npz");

    /// <summary>Small metropolis run on boston_mlp: fixed scale, no adaptation; thin makes each chunk take a while.</summary>
    private static string[] SampleArgs(string outDir, string chainIndex, ulong seed = 7, string split = "train", int draws = 40, int thin = 100) =>
    [
        "sample", Model, "--data", Data(split), "--likelihood", "gaussian:0.5", "--sampler", "metropolis",
        "--sampler-option", "scale=0.002", "--sampler-option", "adapt-scale=false",
        "--chains", "3", "--warmup", "10", "--draws", draws.ToString(), "--thin", thin.ToString(), "--chunk-size", "5",
        "--seed", seed.ToString(), "--out", outDir, "--chain-index", chainIndex, "--max-parallel", "3",
    ];

    [Fact]
    public void ThreeArrayTasksWithOneKilledAndRestarted_EqualOneProcessRun()
    {
        var cli = CliTool.Dll;

        var reference = Path.Combine(_root, "single");
        var single = CliProcess.Run(cli, SampleArgs(reference, "all"));
        Assert.True(single.ExitCode == 0, single.Output);

        var shared = Path.Combine(_root, "shared");
        // Chain 1 starts first and is killed as soon as it has committed a chunk (well before its 8 chunks).
        var victim = CliProcess.Start(cli, SampleArgs(shared, "1"));
        var index1 = Path.Combine(shared, "chain-1", "chunks.json");
        var killedMidRun = false;
        var watch = Stopwatch.StartNew();
        while (!victim.Process.HasExited && watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (CommittedChunks(index1) is >= 1 and var n && !IsCompleted(index1))
            {
                victim.Process.Kill(entireProcessTree: true);
                victim.Process.WaitForExit();
                killedMidRun = n < 8 && !IsCompleted(index1);
                break;
            }
            Thread.Sleep(20);
        }
        Assert.True(killedMidRun, "chain 1 should have been killed after its first committed chunk and before its end:\n" + victim.Output);
        Assert.True(File.Exists(Path.Combine(shared, "chain-1", "checkpoint.bin")), "a committed chunk comes with a checkpoint");

        // Chains 0 and 2 run concurrently; chain 1's task is restarted and resumes from its checkpoint.
        var others = new[] { CliProcess.Start(cli, SampleArgs(shared, "0")), CliProcess.Start(cli, SampleArgs(shared, "2")) };
        var restarted = CliProcess.Run(cli, SampleArgs(shared, "1"));
        Assert.True(restarted.ExitCode == 0, restarted.Output);
        Assert.Contains("continues from its checkpoint", restarted.Output);
        foreach (var other in others)
        {
            other.Process.WaitForExit();
            Assert.True(other.Process.ExitCode == 0, other.Output);
            Assert.Contains("joined", other.Output);
        }

        for (var k = 0; k < 3; k++)
        {
            var expected = ChunkFiles(reference, k);
            var actual = ChunkFiles(shared, k);
            Assert.Equal(8, expected.Count);
            Assert.Equal(expected.Count, actual.Count);
            for (var c = 0; c < expected.Count; c++)
                Assert.True(File.ReadAllBytes(expected[c]).AsSpan().SequenceEqual(File.ReadAllBytes(actual[c])),
                    $"chain {k} chunk {c} differs from the single-process run");
            // The committed stats rows (log p, acceptance, ...) are identical too.
            Assert.Equal(File.ReadAllText(Path.Combine(reference, $"chain-{k}", "stats.csv")), File.ReadAllText(Path.Combine(shared, $"chain-{k}", "stats.csv")));
        }

        var diagnose = CliProcess.Run(cli, ["diagnose", shared, "--no-plots", "--probe-examples", "0"]);
        Assert.True(diagnose.ExitCode == 0, diagnose.Output);
        Assert.Contains("3 chains", diagnose.Output);
    }

    [Fact]
    public void TaskWithDifferentSeedOrData_IsRefusedNamingTheField_AndDiagnoseSkipsUnstartedChains()
    {
        var cli = CliTool.Dll;

        var shared = Path.Combine(_root, "shared");
        var first = CliProcess.Run(cli, SampleArgs(shared, "0", draws: 10, thin: 1));
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("created", first.Output);

        var seed = CliProcess.Run(cli, SampleArgs(shared, "1", seed: 8, draws: 10, thin: 1));
        Assert.NotEqual(0, seed.ExitCode);
        Assert.Contains("seed differs", seed.Output);
        Assert.False(Directory.Exists(Path.Combine(shared, "chain-1")), "a refused task writes nothing");

        var data = CliProcess.Run(cli, SampleArgs(shared, "2", split: "test", draws: 10, thin: 1));
        Assert.NotEqual(0, data.ExitCode);
        Assert.Contains("data SHA-256", data.Output);

        // Chains 1 and 2 never started: diagnose works on chain 0 and says so.
        var diagnose = CliProcess.Run(cli, ["diagnose", shared, "--no-plots"]);
        Assert.True(diagnose.ExitCode == 0, diagnose.Output);
        Assert.Contains("not started", diagnose.Output);
    }

    private static int CommittedChunks(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            return doc.RootElement.GetProperty("chunks").GetArrayLength();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException) { return 0; }
    }

    private static bool IsCompleted(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            return doc.RootElement.GetProperty("completed").GetBoolean();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException) { return false; }
    }

    private static List<string> ChunkFiles(string run, int chain)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, $"chain-{chain}", "chunks.json")));
        return doc.RootElement.GetProperty("chunks").EnumerateArray()
            .Select(e => Path.Combine(run, $"chain-{chain}", e.GetProperty("file").GetString()!)).ToList();
    }
}

/// <summary>A real <c>dotnet onnxray.dll ...</c> process with its stdout and stderr captured.</summary>
internal sealed class CliProcess
{
    private readonly StringBuilder _output = new();

    private CliProcess(Process process) => Process = process;

    public Process Process { get; }
    public int ExitCode => Process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static CliProcess Start(string cli, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(cli);
        foreach (var a in args) info.ArgumentList.Add(a);
        // The tests choose chain indices explicitly; a scheduler's variables must not leak in.
        info.Environment.Remove("JOB_COMPLETION_INDEX");
        info.Environment.Remove("SLURM_ARRAY_TASK_ID");
        info.Environment["NO_COLOR"] = "1";
        var process = new Process { StartInfo = info };
        var result = new CliProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (result._output) result._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (result._output) result._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public static CliProcess Run(string cli, IEnumerable<string> args)
    {
        var p = Start(cli, args);
        if (!p.Process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Process.Kill(entireProcessTree: true);
            throw new TimeoutException("onnxray did not finish:\n" + p.Output);
        }
        p.Process.WaitForExit(); // drains the output
        return p;
    }
}
