using OnnxRay.Abstractions;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Plugins;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver;
using OnnxRay.Sampling.Tests.Plugins;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Sampling.Tests.Diagnostics;

/// <summary>
/// E-BFMI end to end: the real HMC plugin records the Hamiltonian per draw in stats.csv, and diagnose computes E-BFMI
/// per chain from it and flags it below 0.3. Kernels without a Hamiltonian leave the column empty and get no value.
/// </summary>
public class EnergyBfmiRunTests
{
    private static readonly SamplingRunSettings Settings = new() { Chains = 2, Warmup = 150, Draws = 300, Thin = 1, ChunkSize = 100, Seed = 5, InitialJitter = 0.3 };

    private static RunDiagnosis SampleAndDiagnose(TempFolder temp, string samplerName, params string[] options)
    {
        var build = PluginBuilds.BuiltIns;
        Skip.IfNot(build.Built("OnnxRay.Samplers.Hmc"), "the built-in plugins did not build in this tree yet");
        var pluginsFolder = temp.Sub("plugins");
        foreach (var project in PluginBuilds.BuiltInPluginNames) PluginBuilds.InstallPlugin(build, project, pluginsFolder);
        using var catalog = PluginCatalog.Load([new PluginSource(pluginsFolder, PluginSourceKind.BuiltIn)]);
        var sampler = catalog.Get(samplerName);
        var target = Enumerable.Repeat(1.0, 20).ToArray();
        SamplingRun.Create(temp.Sub("run"), Settings, sampler.Factory, sampler.BindOptions(options), new float[20],
            _ => GaussianTarget.Diagonal(target)).Run();
        return RunDiagnosis.Compute(temp.Sub("run"), projections: 2, probeExamples: 0);
    }

    [SkippableFact]
    public void HmcRecordsItsEnergyAndAHealthyRunHasEBfmiNearOne()
    {
        using var temp = new TempFolder();
        var diagnosis = SampleAndDiagnose(temp, "hmc", "steps=10");

        using var run = RunFolder.Open(temp.Sub("run"));
        var stats = run.Chains[0].ReadStats();
        Assert.All(stats, r => Assert.True(r.Step.Energy is { } e && double.IsFinite(e)));
        // H = −log p + K ≥ −log p: the kinetic energy is never negative.
        Assert.All(stats, r => Assert.True(r.Step.Energy >= -r.Step.LogDensity - 1e-9));
        // With a full momentum redraw per transition on a Gaussian the energy decorrelates fast: E-BFMI is of order 1.
        Assert.All(diagnosis.ChainStats, c => Assert.InRange(c.EnergyBfmi, 0.6, 2.5));
        Assert.DoesNotContain(diagnosis.Warnings, w => w.Contains("E-BFMI"));
    }

    [SkippableFact]
    public void PersistentMomentumGivesLowEBfmiAndAWarning()
    {
        // φ = 0.99 keeps almost all of the momentum: the energy can only drift by small steps, the textbook low E-BFMI.
        using var temp = new TempFolder();
        var diagnosis = SampleAndDiagnose(temp, "hmc", "steps=3", "momentum-persistence=0.99");
        Assert.All(diagnosis.ChainStats, c => Assert.True(c.EnergyBfmi < 0.3, $"chain {c.Chain}: E-BFMI {c.EnergyBfmi}"));
        Assert.Contains(diagnosis.Warnings, w => w.Contains("E-BFMI below 0.3"));
    }

    [SkippableFact]
    public void KernelsWithoutAHamiltonianLeaveTheColumnEmptyAndGetNoEBfmi()
    {
        using var temp = new TempFolder();
        var diagnosis = SampleAndDiagnose(temp, "metropolis");
        Assert.All(diagnosis.ChainStats, c => Assert.True(double.IsNaN(c.EnergyBfmi)));
        var lines = File.ReadAllLines(Path.Combine(RunLayout.ChainFolder(temp.Sub("run"), 0), DrawStats.FileName));
        Assert.EndsWith(",energy", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.EndsWith(",", l));
    }
}
