using OnnxRay.Abstractions;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver.TestKernels;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Sampling.Tests.Driver;

/// <summary>Shared set-up for driver tests: a small correlated Gaussian sampled by the test random-walk kernel.</summary>
internal static class DriverRuns
{
    public const int Dimension = 5;

    public static readonly SamplingRunSettings Small = new()
    {
        Chains = 3,
        Warmup = 40,
        Draws = 90,
        Thin = 2,
        Seed = 20240611,
        ChunkSize = 25,
        InitialJitter = 0.5,
    };

    public static float[] InitialPosition => [0.3f, -0.2f, 1.0f, 0.0f, 0.7f];

    /// <summary>Chain k's density: a Gaussian behind a stateful noise layer (so density checkpoints matter).</summary>
    public static ILogDensity Density(int chain) => Density(chain, static inner => inner);

    /// <summary>Like <see cref="Density(int)"/> with a wrapper (e.g. a tripwire) between the noise layer and the Gaussian.</summary>
    public static ILogDensity Density(int chain, Func<ILogDensity, ILogDensity> wrap) =>
        new NoisyDensity(wrap(GaussianTarget.Diagonal([1, 2, 0.5, 1, 3])), seed: 1000 + (ulong)chain, noise: 0.01);

    public static SamplingRun Create(string folder, SamplingRunSettings settings, Func<int, ILogDensity>? densities = null, RandomWalkOptions? options = null)
    {
        var factory = new RandomWalkFactory();
        return SamplingRun.Create(folder, settings, factory, options ?? new RandomWalkOptions(), InitialPosition, densities ?? Density);
    }

    /// <summary>Asserts that two runs stored byte-identical chain folders (draws, stats, indices and final checkpoints).</summary>
    public static void AssertSameChains(string expectedRun, string actualRun, int chains)
    {
        for (var k = 0; k < chains; k++)
        {
            var expectedFolder = RunLayout.ChainFolder(expectedRun, k);
            var actualFolder = RunLayout.ChainFolder(actualRun, k);
            var expectedFiles = Directory.GetFiles(expectedFolder).Select(Path.GetFileName).Order().ToArray();
            var actualFiles = Directory.GetFiles(actualFolder).Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(expectedFiles, actualFiles);
            foreach (var file in expectedFiles)
            {
                var expected = File.ReadAllBytes(Path.Combine(expectedFolder, file!));
                var actual = File.ReadAllBytes(Path.Combine(actualFolder, file!));
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"chain-{k}/{file} differs between {expectedRun} and {actualRun}.");
            }
        }
    }

    /// <summary>All draws of a chain as one array (row-major).</summary>
    public static float[] AllDraws(ChainReader chain) => chain.ReadDraws().SelectMany(d => d).ToArray();
}
