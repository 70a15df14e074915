using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests;

/// <summary>The CLI tests run one after another: every one starts real `onnxray` processes on a small shared machine.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<BostonRunFixture>
{
    public const string Name = "onnxray CLI";
}

/// <summary>
/// One tiny boston run (2 chains, CSV data, learned-noise gaussian likelihood), sampled once for the tests that only
/// read a run folder. Tests that damage a run copy it first.
/// </summary>
public sealed class BostonRunFixture : IDisposable
{
    public const int Chains = 2;
    public const int Draws = 30;
    public const int ChunkSize = 10;

    public BostonRunFixture()
    {
        Root = CliTool.NewTempFolder("boston");
        RunFolder = Path.Combine(Root, "run");
        SampleResult = CliTool.RunOk(SampleArgs(RunFolder));
    }

    public string Root { get; }
    public string RunFolder { get; }
    public CliResult SampleResult { get; }

    public static string Model => Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx");
    public static string TrainCsv => Path.Combine(RepositoryPaths.Models, "data", "boston", "train.csv");
    public static string TestCsv => Path.Combine(RepositoryPaths.Models, "data", "boston", "test.csv");

    /// <summary>The sample command line (raytracing, short trajectories) writing into <paramref name="outFolder"/>.</summary>
    public static string[] SampleArgs(string outFolder, int warmup = 20, int draws = Draws, int chunkSize = ChunkSize, int maxParallel = 2) =>
    [
        "sample", Model, "--data", TrainCsv, "--target-column", "target", "--likelihood", "gaussian", "--prior", "gaussian:1",
        "--sampler", "raytracing", "--sampler-option", "max-steps=8", "--chains", Chains.ToString(), "--warmup", warmup.ToString(),
        "--draws", draws.ToString(), "--chunk-size", chunkSize.ToString(), "--seed", "11", "--max-parallel", maxParallel.ToString(),
        "--out", outFolder,
    ];

    /// <summary>Copies the run folder (for tests that damage it).</summary>
    public string CopyRun(string destination)
    {
        foreach (var dir in Directory.EnumerateDirectories(RunFolder, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(RunFolder, dir)));
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(RunFolder, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(RunFolder, file)));
        return destination;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
