using System.Globalization;
using OnnxRay.Abstractions;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Plugins;
using OnnxRay.Sampling.Tests.Driver;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Sampling.Tests.Plugins;

public class PluginCatalogTests(TestPluginFolders folders) : IClassFixture<TestPluginFolders>
{
    private PluginCatalog LoadBoth() => PluginCatalog.Load([
        new PluginSource(folders.Primary, PluginSourceKind.BuiltIn),
        new PluginSource(folders.Secondary, PluginSourceKind.CommandLine),
    ]);

    [Fact]
    public void A_good_plugin_is_discovered_with_its_version_folder_and_option_defaults()
    {
        using var catalog = PluginCatalog.Load([new PluginSource(folders.Primary, PluginSourceKind.Explicit)]);

        Assert.Empty(catalog.Problems);
        var sampler = Assert.Single(catalog.Samplers);
        Assert.Equal("test-good", sampler.Name);
        Assert.StartsWith("1.2.3-test", sampler.Version);
        Assert.Equal("A working random-walk Metropolis test plugin.", sampler.Description);
        Assert.Equal(Path.Combine(folders.Primary, "GoodPlugin"), sampler.SourceFolder);
        Assert.Equal(Path.Combine(folders.Primary, "GoodPlugin", "GoodPlugin.dll"), sampler.AssemblyPath);
        // The plugin's types live in its own load context, but implement the host's contract.
        Assert.NotSame(typeof(PluginCatalog).Assembly, sampler.Factory.GetType().Assembly);
        Assert.IsAssignableFrom<ISamplerFactory>(sampler.Factory);

        var defaults = sampler.Options.ToDictionary(o => o.Name, o => o.DefaultValue);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["step-size"] = "0.25", ["steps"] = "1", ["budget"] = "10000000000", ["verbose"] = "false",
            ["label"] = "good", ["flavour"] = "Plain", ["max-step-size"] = null,
        }, defaults);
        Assert.Equal("one of Plain|DualAveraging", sampler.Options.Single(o => o.Name == "flavour").TypeDisplayName);
        Assert.Equal("double (optional)", sampler.Options.Single(o => o.Name == "max-step-size").TypeDisplayName);
    }

    [Fact]
    public void Every_failure_mode_is_reported_naming_its_assembly_and_the_other_plugins_still_load()
    {
        using var catalog = LoadBoth();

        Assert.Equal(["test-good", "test-duplicate-sibling"], catalog.Samplers.Select(s => s.Name));
        // The first "test-good" (from the earlier source) is kept.
        Assert.EndsWith("GoodPlugin.dll", catalog.Get("test-good").AssemblyPath);

        PluginProblem Only(PluginProblemKind kind) => Assert.Single(catalog.Problems, p => p.Kind == kind);

        var duplicate = Only(PluginProblemKind.DuplicateSamplerName);
        Assert.EndsWith(Path.Combine("DuplicatePlugin", "DuplicatePlugin.dll"), duplicate.AssemblyPath);
        Assert.Contains("'test-good'", duplicate.Message);
        Assert.Contains("GoodPlugin.dll", duplicate.Message);

        var throwing = Only(PluginProblemKind.FactoryFailed);
        Assert.EndsWith("ThrowingPlugin.dll", throwing.AssemblyPath);
        Assert.Contains("ThrowingPlugin.ThrowingFactory", throwing.Message);
        Assert.Contains("licence file not found", throwing.Message);

        var missing = Only(PluginProblemKind.MissingDependency);
        Assert.EndsWith("MissingDependencyPlugin.dll", missing.AssemblyPath);
        Assert.Contains("PluginHelper", missing.Message);

        var future = Only(PluginProblemKind.ContractVersionMismatch);
        Assert.EndsWith("FutureContractPlugin.dll", future.AssemblyPath);
        Assert.Contains("2.0.0.0", future.Message);
        Assert.Contains($"contract version {SamplerContract.Version}", future.Message);

        var empty = Only(PluginProblemKind.NoPluginAssembly);
        Assert.EndsWith("EmptyPlugin", empty.AssemblyPath);

        var garbage = Only(PluginProblemKind.LoadFailed);
        Assert.EndsWith("Garbage.dll", garbage.AssemblyPath);

        Assert.Equal(6, catalog.Problems.Count);
    }

    [Fact]
    public void A_missing_search_folder_is_a_problem_not_a_crash()
    {
        var nowhere = Path.Combine(folders.Root, "does-not-exist");
        using var catalog = PluginCatalog.Load([new PluginSource(nowhere, PluginSourceKind.CommandLine), new PluginSource(folders.Primary, PluginSourceKind.CommandLine)]);
        var problem = Assert.Single(catalog.Problems);
        Assert.Equal(PluginProblemKind.FolderNotFound, problem.Kind);
        Assert.Contains(nowhere, problem.Message);
        Assert.Single(catalog.Samplers);
    }

    [Fact]
    public void A_plugin_folder_can_be_given_directly_and_twice_without_loading_twice()
    {
        var direct = Path.Combine(folders.Primary, "GoodPlugin");
        using var catalog = PluginCatalog.Load([new PluginSource(direct, PluginSourceKind.CommandLine), new PluginSource(folders.Primary, PluginSourceKind.Environment)]);
        Assert.Empty(catalog.Problems);
        Assert.Single(catalog.Samplers);
    }

    [Fact]
    public void An_unknown_sampler_lists_the_available_ones_and_the_load_problems()
    {
        using var catalog = LoadBoth();
        var e = Assert.Throws<UnknownSamplerException>(() => catalog.Get("nuts"));
        Assert.Contains("'nuts'", e.Message);
        Assert.Contains("test-good, test-duplicate-sibling", e.Message);
        Assert.Contains("ThrowingPlugin.dll", e.Message);
        Assert.Same(catalog.Get("TEST-GOOD"), catalog.Get("test-good"));
    }

    [Fact]
    public void Options_bind_from_key_value_text_in_the_invariant_culture()
    {
        using var catalog = PluginCatalog.Load([new PluginSource(folders.Primary, PluginSourceKind.Explicit)]);
        var sampler = catalog.Get("test-good");
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE"); // would read "0.5" as 5
        try
        {
            var options = sampler.BindOptions(["step-size=0.5", "steps=3", "budget=12345678901", "verbose=true", "label=a=b", "flavour=dual-averaging", "max-step-size=1e-3"]);
            Assert.Equal(new Dictionary<string, string?>
            {
                ["step-size"] = "0.5", ["steps"] = "3", ["budget"] = "12345678901", ["verbose"] = "true",
                ["label"] = "a=b", ["flavour"] = "DualAveraging", ["max-step-size"] = "0.001",
            }, SamplerOptionBinder.ToDictionary(options));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        var fromConfiguration = sampler.BindOptions(new Dictionary<string, string?> { ["STEP-SIZE"] = "2", ["max-step-size"] = null });
        Assert.Equal("2", SamplerOptionBinder.ToDictionary(fromConfiguration)["step-size"]);
    }

    [Theory]
    [InlineData("nope=1", "unknown option 'nope'", true)]
    [InlineData("steps=three", "option 'steps': 'three' is not a valid int", false)]
    [InlineData("flavour=spicy", "one of Plain|DualAveraging", false)]
    [InlineData("verbose", "not of the form key=value", true)]
    [InlineData("step-size=-1", "step-size must be > 0", false)]
    public void Bad_option_text_names_the_sampler_and_the_option(string text, string expected, bool listsValidOptions)
    {
        using var catalog = PluginCatalog.Load([new PluginSource(folders.Primary, PluginSourceKind.Explicit)]);
        var e = Assert.Throws<SamplerOptionsException>(() => catalog.Get("test-good").BindOptions([text]));
        Assert.Equal("test-good", e.SamplerName);
        Assert.Contains(expected, e.Message);
        if (listsValidOptions) Assert.Contains("Valid options: step-size (double, default 0.25)", e.Message);
    }

    [Fact]
    public void A_plugin_sampler_drives_a_run_and_resumes_bit_identically()
    {
        using var catalog = PluginCatalog.Load([new PluginSource(folders.Primary, PluginSourceKind.Explicit)]);
        var sampler = catalog.Get("test-good");
        var options = sampler.BindOptions(["step-size=0.8"]);
        var settings = new SamplingRunSettings { Chains = 2, Warmup = 10, Draws = 40, ChunkSize = 15, Seed = 5, InitialJitter = 0.1 };
        using var temp = new TempFolder();
        Func<int, ILogDensity> density = _ => GaussianTarget.StandardNormal(3);

        SamplingRun.Create(temp.Sub("reference"), settings, sampler.Factory, options, [0f, 0f, 0f], density).Run();
        using var cts = new CancellationTokenSource();
        SamplingRun.Create(temp.Sub("resumed"), settings, sampler.Factory, options, [0f, 0f, 0f],
            _ => new Driver.TestKernels.TrippingDensity(GaussianTarget.StandardNormal(3), 33, cts.Cancel)).Run(cancellationToken: cts.Token);
        var resumed = SamplingRun.Resume(temp.Sub("resumed"), sampler.Factory, density);
        Assert.StartsWith("1.2.3-test", resumed.Manifest.Sampler.Version);
        Assert.Equal("0.8", resumed.Manifest.Sampler.Options["step-size"]);
        Assert.True(resumed.Run().IsComplete);
        DriverRuns.AssertSameChains(temp.Sub("reference"), temp.Sub("resumed"), 2);
    }

    [Fact]
    public void Standard_sources_are_built_in_then_command_line_then_environment()
    {
        var sources = PluginSource.Standard(["/a", "/b"], string.Join(Path.PathSeparator, "/c", "", " /d "));
        Assert.Equal([
            new PluginSource(PluginSource.BuiltInFolder, PluginSourceKind.BuiltIn),
            new PluginSource("/a", PluginSourceKind.CommandLine),
            new PluginSource("/b", PluginSourceKind.CommandLine),
            new PluginSource("/c", PluginSourceKind.Environment),
            new PluginSource("/d", PluginSourceKind.Environment),
        ], sources);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "plugins"), PluginSource.BuiltInFolder);
    }
}
