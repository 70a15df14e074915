using OnnxRay.Samplers.Metropolis;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Testing;

namespace OnnxRay.Hosting.Tests.Support;

/// <summary>Writes small real run folders: a Metropolis posterior of a committed model on its committed training data.</summary>
public static class TestRuns
{
    public static string BostonModel => Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx");
    public static string DigitsModel => Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx");
    public static string BostonTest => Path.Combine(RepositoryPaths.Models, "data", "boston", "test.npz");
    public static string DigitsTest => Path.Combine(RepositoryPaths.Models, "data", "digits", "test.npz");

    public static void Boston(string folder) => Write(folder, new PosteriorDefinition
    {
        ModelPath = BostonModel,
        DataPath = Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"),
        Likelihood = "gaussian:0.5",
        Prior = "gaussian:1",
    });

    public static void Digits(string folder) => Write(folder, new PosteriorDefinition
    {
        ModelPath = DigitsModel,
        DataPath = Path.Combine(RepositoryPaths.Models, "data", "digits", "train.npz"),
        Likelihood = "categorical",
        Prior = "gaussian:1",
    });

    private static void Write(string folder, PosteriorDefinition definition)
    {
        using var problem = PosteriorProblem.Open(definition, 1);
        // Small jitter so the chains differ and the epistemic spread is not zero.
        var settings = new SamplingRunSettings { Chains = 2, Warmup = 20, Draws = 20, ChunkSize = 10, Seed = 1, InitialJitter = 0.01 };
        var result = SamplingRun.Create(folder, settings, new MetropolisSamplerFactory(), new MetropolisOptions(), problem.InitialTheta,
            problem.CreateDensity, problem.Describe()).Run();
        if (!result.IsComplete) throw new InvalidOperationException($"the test run in {folder} did not complete: {string.Join(", ", result.Chains)}");
    }
}
