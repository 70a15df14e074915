using System.Text.Json;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests.ScaleOut;

/// <summary>
/// <c>onnxray sample --device</c>: a device list spreads chains and one chain's batches over several sessions without
/// changing a draw; devices this ONNX Runtime lacks (CUDA: the CPU package here) give one clean error line.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class DeviceOptionTests : IDisposable
{
    private readonly string _root = CliTool.NewTempFolder("devices");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>Two chains of multiple-try Metropolis (4 proposals per step) on boston_mlp.</summary>
    private static string[] SampleArgs(string outDir, string device) =>
    [
        "sample", Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx"), "--data", Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"),
        "--likelihood", "gaussian:0.5", "--prior", "gaussian:1", "--sampler", "metropolis", "--sampler-option", "proposals=4",
        "--sampler-option", "scale=0.002", "--chains", "2", "--warmup", "10", "--draws", "20", "--chunk-size", "10", "--seed", "5",
        "--max-parallel", "2", "--out", outDir, "--device", device,
    ];

    [Fact]
    public void TwoCpuSessionsPerChain_GiveTheDrawsOfOneSession_ByteForByte()
    {
        var one = Path.Combine(_root, "one");
        var two = Path.Combine(_root, "two");
        CliTool.RunOk(SampleArgs(one, "cpu"));
        var pooled = CliTool.RunOk(SampleArgs(two, "cpu,cpu"));
        Assert.Contains("Devices: cpu, cpu", pooled.StdOut);
        for (var chain = 0; chain < 2; chain++)
        {
            var files = Directory.GetFiles(Path.Combine(one, $"chain-{chain}"), "draws-*.npy").Select(Path.GetFileName).Order().ToList();
            Assert.Equal(2, files.Count);
            foreach (var file in files)
                Assert.True(File.ReadAllBytes(Path.Combine(one, $"chain-{chain}", file!)).AsSpan()
                    .SequenceEqual(File.ReadAllBytes(Path.Combine(two, $"chain-{chain}", file!))), $"chain {chain} {file} differs");
            // 2K − 1 = 7 density evaluations per transition, recorded per draw.
            var stats = File.ReadAllLines(Path.Combine(two, $"chain-{chain}", "stats.csv"));
            var column = Array.IndexOf(stats[0].Split(','), "density_evaluations");
            Assert.True(column >= 0, stats[0]);
            Assert.All(stats.Skip(1), line => Assert.Equal("7", line.Split(',')[column]));
        }
        // The devices are recorded, but they are not part of the run's identity.
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(two, "manifest.json")));
        Assert.Contains("cpu,cpu", manifest.RootElement.GetRawText());
        // Opened with the library's defaults, the posterior predicts on the run's first device.
        using var posterior = OnnxRay.Sampling.Posterior.RunPosterior.Open(two, maxDraws: 5);
        Assert.Equal(5, posterior.Draws.Count);
    }

    [Theory]
    [InlineData("cuda:0")]
    [InlineData("cuda:0,cuda:1")]
    [InlineData("cpu,cuda:1")]
    public void CudaWithoutTheGpuBuild_IsOneCleanErrorLine(string device)
    {
        var run = Path.Combine(_root, "cuda");
        var result = CliTool.Run(SampleArgs(run, device));
        Assert.Equal(1, result.ExitCode);
        var cuda = device.Split(',').First(d => d.StartsWith("cuda", StringComparison.Ordinal));
        // cpu,cuda:1: chain 0 runs on cpu, chain 1 on cuda:1, which fails when chain 1 builds its session
        // ("error: Chain 1 failed: ExecutionProviderException: Device 'cuda:1': ...").
        Assert.StartsWith("error: ", result.StdErr);
        Assert.Contains($"Device '{cuda}'", result.StdErr);
        Assert.Contains("no CUDA execution provider", result.StdErr);
        Assert.Contains("-p:OnnxRayGpu=true", result.StdErr);
        Assert.DoesNotContain("   at ", result.StdErr);
    }

    [Fact]
    public void MalformedDeviceList_IsNamed()
    {
        var result = CliTool.Run(SampleArgs(Path.Combine(_root, "bad"), "cpu*0"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Device 'cpu*0'", result.StdErr);
        Assert.False(Directory.Exists(Path.Combine(_root, "bad")));
    }

    [Fact]
    public void ArrayTasksOnDifferentDevices_JoinTheSameRun()
    {
        // Devices are not part of the run's identity: a task on another machine may have other devices.
        var run = Path.Combine(_root, "array");
        var first = CliTool.RunOk([.. SampleArgs(run, "cpu"), "--chain-index", "0"]);
        Assert.Contains("created", first.StdOut);
        var second = CliTool.RunOk([.. SampleArgs(run, "cpu*2"), "--chain-index", "1"]);
        Assert.Contains("joined", second.StdOut);
    }

    [Fact]
    public void ResumeWithDevice_ReplacesTheRunsDevices()
    {
        var run = Path.Combine(_root, "resume");
        CliTool.RunOk(SampleArgs(run, "cpu"));
        // The run was made on cpu; --device on resume is used instead (here: a device that is absent, so it fails cleanly).
        var result = CliTool.Run("sample", "--resume", run, "--device", "cuda:0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Device 'cuda:0'", result.StdErr);
        CliTool.RunOk("sample", "--resume", run, "--device", "cpu*2");
    }
}
