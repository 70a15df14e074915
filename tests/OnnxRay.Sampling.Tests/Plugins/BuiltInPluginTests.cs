using OnnxRay.Abstractions;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Plugins;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver;
using OnnxRay.Sampling.Tests.Driver.TestKernels;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Sampling.Tests.Plugins;

/// <summary>
/// The three real sampler plugins, built from plugins/ and loaded through the catalog exactly as the tool loads
/// them; each drives an interrupted-then-resumed run that must equal the uninterrupted one bit for bit.
/// Skipped (visibly) while a plugin does not build.
/// </summary>
public class BuiltInPluginTests
{
    [SkippableTheory]
    [InlineData("OnnxRay.Samplers.RayTracing", "raytracing")]
    [InlineData("OnnxRay.Samplers.Hmc", "hmc")]
    [InlineData("OnnxRay.Samplers.Metropolis", "metropolis")]
    public void A_built_in_plugin_loads_and_resumes_bit_identically(string project, string samplerName)
    {
        var build = PluginBuilds.BuiltIns;
        Skip.IfNot(build.Built(project), $"{project} did not build in this tree yet:\n{Tail(build.Log)}");

        using var temp = new TempFolder();
        var pluginsFolder = temp.Sub("plugins");
        PluginBuilds.InstallPlugin(build, project, pluginsFolder);
        using var catalog = PluginCatalog.Load([new PluginSource(pluginsFolder, PluginSourceKind.BuiltIn)]);

        Assert.Empty(catalog.Problems);
        var sampler = catalog.Get(samplerName);
        Assert.False(string.IsNullOrWhiteSpace(sampler.Description));
        Assert.NotEmpty(sampler.Options);

        var options = sampler.BindOptions(Array.Empty<string>());
        var settings = new SamplingRunSettings { Chains = 2, Warmup = 60, Draws = 50, Thin = 1, ChunkSize = 20, Seed = 99, InitialJitter = 0.3 };
        float[] start = [0.5f, -0.5f, 0.25f, 1f];
        Func<int, ILogDensity> density = _ => GaussianTarget.Diagonal([1, 0.5, 2, 1]);

        // The reference run also counts chain 0's evaluations, so the interruption can land half-way whatever the sampler's cost.
        var counters = new TrippingDensity[settings.Chains];
        SamplingRun.Create(temp.Sub("reference"), settings, sampler.Factory, options, start,
            k => counters[k] = new TrippingDensity(GaussianTarget.Diagonal([1, 0.5, 2, 1]), long.MaxValue, () => { })).Run();
        var tripAt = counters[0].Evaluations / 2;
        using var cts = new CancellationTokenSource();
        var first = SamplingRun.Create(temp.Sub("resumed"), settings, sampler.Factory, options, start,
            k => new TrippingDensity(GaussianTarget.Diagonal([1, 0.5, 2, 1]), tripAt + 7 * k, cts.Cancel)).Run(cancellationToken: cts.Token);
        Assert.True(first.WasInterrupted, $"the run was not interrupted (trip at evaluation {tripAt})");
        var second = SamplingRun.Resume(temp.Sub("resumed"), sampler.Factory, density).Run();
        Assert.True(second.IsComplete, string.Join(", ", second.Chains));
        DriverRuns.AssertSameChains(temp.Sub("reference"), temp.Sub("resumed"), settings.Chains);

        using var run = RunFolder.Open(temp.Sub("reference"));
        Assert.All(run.Chains, c => Assert.Equal(50, c.DrawCount));
    }

    private static string Tail(string log) => log.Length <= 3000 ? log : log[^3000..];
}
