using System.Reflection;
using OnnxRay.Abstractions;
using OnnxRay.Sampling.Plugins;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Driver;

/// <summary>
/// A sampling run bound to a run folder: K chains, each with its own density (from the density factory), kernel and
/// random stream ChainRandom.ForChain(seed, k), run in parallel up to <see cref="MaxParallelism"/>. Draws depend
/// only on (seed, chain), never on scheduling, so parallel, sequential and interrupted-then-resumed runs store
/// bit-identical draws. Create a new run with <see cref="Create"/>, continue one with <see cref="Resume"/>, then
/// call <see cref="RunAsync"/>.
/// </summary>
public sealed class SamplingRun
{
    private readonly ISamplerFactory _sampler;
    private readonly SamplerOptions _options;
    private readonly Func<int, ILogDensity> _densityFactory;

    private SamplingRun(string folder, RunManifest manifest, ISamplerFactory sampler, SamplerOptions options, Func<int, ILogDensity> densityFactory)
    {
        FolderPath = folder;
        Manifest = manifest;
        _sampler = sampler;
        _options = options;
        _densityFactory = densityFactory;
    }

    /// <summary>The run folder.</summary>
    public string FolderPath { get; }

    /// <summary>The run's manifest (as written at creation).</summary>
    public RunManifest Manifest { get; }

    /// <summary>How many chains run at once (default: the number of processors). Does not affect the draws.</summary>
    public int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Run only these chains in this process (e.g. one chain per cluster array task); null runs all.</summary>
    public IReadOnlyList<int>? OnlyChains { get; set; }

    /// <summary>
    /// Creates a new run folder (manifest.json, initial.npy, empty chain folders) for a run that has not started.
    /// </summary>
    /// <param name="runFolder">A new or empty folder.</param>
    /// <param name="settings">Schedule and storage settings (validated here).</param>
    /// <param name="sampler">The sampler factory (e.g. <see cref="LoadedSampler.Factory"/>).</param>
    /// <param name="options">Options of <paramref name="sampler"/> (validated here).</param>
    /// <param name="initialPosition">Start θ (the model's own weights); each chain adds its own N(0, jitter²) noise.</param>
    /// <param name="densityFactory">Makes chain k's density; called once per chain per process, from the chain's thread.</param>
    /// <param name="description">Provenance for the manifest (model, layout, data, likelihood, prior).</param>
    /// <exception cref="RunSettingsException">A setting is invalid.</exception>
    /// <exception cref="SamplerOptionsException">The sampler options are invalid.</exception>
    /// <exception cref="RunFolderException">The folder already holds a run or other files.</exception>
    public static SamplingRun Create(string runFolder, SamplingRunSettings settings, ISamplerFactory sampler, SamplerOptions options,
        ReadOnlySpan<float> initialPosition, Func<int, ILogDensity> densityFactory, RunDescription? description = null)
    {
        CheckCreateArguments(settings, sampler, options, initialPosition, densityFactory);
        var manifest = BuildManifest(settings, sampler, options, initialPosition.Length, description);
        var folder = Path.GetFullPath(runFolder);
        manifest = RunFolder.Create(folder, manifest, initialPosition);
        return new SamplingRun(folder, manifest, sampler, options, densityFactory);
    }

    private static RunManifest BuildManifest(SamplingRunSettings settings, ISamplerFactory sampler, SamplerOptions options, int dimension, RunDescription? description)
    {
        description ??= new RunDescription();

        return new RunManifest
        {
            ToolVersion = description.ToolVersion ?? InformationalVersion(typeof(SamplingRun).Assembly),
            CreatedUtc = DateTimeOffset.UtcNow,
            Model = description.Model,
            Parameters = description.Parameters,
            Data = description.Data,
            Likelihood = description.Likelihood,
            Prior = description.Prior,
            Sampler = new SamplerReference(sampler.Name, description.SamplerVersion ?? InformationalVersion(sampler.GetType().Assembly),
                SamplerOptionBinder.ToDictionary(options)),
            Dimension = dimension,
            Seed = settings.Seed,
            Chains = settings.Chains,
            Warmup = settings.Warmup,
            Draws = settings.Draws,
            Thin = settings.Thin,
            ChunkSize = settings.ChunkSize,
            Dtype = RunLayout.Dtype(settings.Precision),
            InitialJitter = settings.InitialJitter,
            CheckpointEvery = settings.CheckpointEvery,
            Extra = description.Extra,
        };
    }

    private static void CheckCreateArguments(SamplingRunSettings settings, ISamplerFactory sampler, SamplerOptions options,
        ReadOnlySpan<float> initialPosition, Func<int, ILogDensity> densityFactory)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(densityFactory);
        settings.Validate();
        if (initialPosition.Length == 0) throw new RunSettingsException("initial-position", "is empty (D must be at least 1).");
        if (!sampler.OptionsType.IsInstanceOfType(options))
            throw new SamplerOptionsException(sampler.Name, [$"options are {options.GetType().Name}, expected {sampler.OptionsType.Name}."]);
        options.ThrowIfInvalid(sampler.Name);
    }

    /// <summary>
    /// Joins a run in a shared folder as the writer of <paramref name="chains"/> only (one cluster array task per
    /// chain): the first task to arrive creates the folder (manifest.json and initial.npy published with an atomic
    /// create-if-absent rename), later tasks check that their settings agree with the manifest on disk and refuse with
    /// a <see cref="RunFolderException"/> naming the first field that differs. A chain whose folder holds a checkpoint
    /// (a restarted task) continues from it bit-identically; a completed chain is skipped. No locks: each chain has
    /// exactly one writer. The result has <see cref="OnlyChains"/> set to <paramref name="chains"/>.
    /// </summary>
    /// <param name="runFolder">The shared run folder (new, or holding the same run).</param>
    /// <param name="settings">Schedule and storage settings (must match the run's).</param>
    /// <param name="sampler">The sampler factory.</param>
    /// <param name="options">Options of <paramref name="sampler"/> (must match the run's).</param>
    /// <param name="initialPosition">Start θ (must match the run's initial.npy).</param>
    /// <param name="densityFactory">Makes chain k's density.</param>
    /// <param name="chains">The chains this process writes (each in [0, settings.Chains)).</param>
    /// <param name="description">Provenance for the manifest.</param>
    /// <param name="created">True when this call created the run.</param>
    public static SamplingRun CreateOrJoin(string runFolder, SamplingRunSettings settings, ISamplerFactory sampler, SamplerOptions options,
        ReadOnlySpan<float> initialPosition, Func<int, ILogDensity> densityFactory, IReadOnlyList<int> chains, RunDescription? description,
        out bool created)
    {
        CheckCreateArguments(settings, sampler, options, initialPosition, densityFactory);
        ArgumentNullException.ThrowIfNull(chains);
        if (chains.Count == 0) throw new RunSettingsException("chain-index", "no chain selected.");
        foreach (var k in chains)
            if (k < 0 || k >= settings.Chains)
                throw new RunSettingsException("chain-index", $"chain {k} does not exist: with --chains {settings.Chains} the index must be 0 to {settings.Chains - 1}.");
        var manifest = BuildManifest(settings, sampler, options, initialPosition.Length, description);
        var folder = Path.GetFullPath(runFolder);
        manifest = RunFolder.CreateOrJoin(folder, manifest, initialPosition, chains, out created);
        return new SamplingRun(folder, manifest, sampler, options, densityFactory) { OnlyChains = chains.ToArray() };
    }

    /// <summary>
    /// Continues a run from its folder: the manifest supplies every setting and the sampler options; each chain
    /// restarts from its last checkpoint (or from the start if it has none) and a completed chain is skipped.
    /// </summary>
    /// <param name="runFolder">A folder made by <see cref="Create"/>.</param>
    /// <param name="sampler">The factory of the sampler named in the manifest.</param>
    /// <param name="densityFactory">Makes chain k's density (the same model and data as the original run).</param>
    /// <param name="allowDifferentSamplerVersion">Continue even though the plugin version differs from the manifest's
    /// (the continuation is then no longer guaranteed to match an uninterrupted run).</param>
    /// <exception cref="RunFolderException">The manifest is missing or invalid, or names another sampler or version.</exception>
    public static SamplingRun Resume(string runFolder, ISamplerFactory sampler, Func<int, ILogDensity> densityFactory, bool allowDifferentSamplerVersion = false)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(densityFactory);
        var folder = Path.GetFullPath(runFolder);
        var manifest = RunFolder.ReadManifest(folder);
        var manifestPath = RunLayout.ManifestPath(folder);
        if (!manifest.Sampler.Name.Equals(sampler.Name, StringComparison.OrdinalIgnoreCase))
            throw new RunFolderException(manifestPath, $"run was made with sampler '{manifest.Sampler.Name}', not '{sampler.Name}'.");
        var version = InformationalVersion(sampler.GetType().Assembly);
        if (!allowDifferentSamplerVersion && WithoutBuildMetadata(version) != WithoutBuildMetadata(manifest.Sampler.Version))
            throw new RunFolderException(manifestPath,
                $"run was made with sampler '{manifest.Sampler.Name}' version {manifest.Sampler.Version}, but version {version} is loaded; " +
                "resume with the same plugin version for an exact continuation (or allow a different version explicitly).");
        SamplerOptions options;
        try
        {
            options = SamplerOptionBinder.Bind(sampler, manifest.Sampler.Options);
        }
        catch (SamplerOptionsException e)
        {
            throw new RunFolderException(manifestPath, $"the sampler options recorded in the manifest do not bind: {e.Message}", e);
        }
        return new SamplingRun(folder, manifest, sampler, options, densityFactory);
    }

    /// <summary>
    /// Runs (or continues) the chains. Cancellation stops every chain at its next step boundary after writing a
    /// checkpoint; the result then reports <see cref="ChainOutcome.Interrupted"/> chains (no exception).
    /// <paramref name="progress"/> is called on the chains' own threads (concurrently), a few times a second per chain.
    /// </summary>
    /// <exception cref="ChainFailedException">A chain's kernel or density threw; the other chains were checkpointed and stopped
    /// (several failures come as an <see cref="AggregateException"/> of these).</exception>
    /// <exception cref="RunFolderException">A chain's folder, index or checkpoint is damaged (named in the exception).</exception>
    public async Task<SamplingRunResult> RunAsync(IProgress<ChainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (MaxParallelism < 1) throw new RunSettingsException("max-parallelism", $"must be at least 1 (got {MaxParallelism}).");
        var chains = OnlyChains?.Distinct().Order().ToArray() ?? Enumerable.Range(0, Manifest.Chains).ToArray();
        foreach (var k in chains)
            if (k < 0 || k >= Manifest.Chains) throw new RunSettingsException("chain", $"chain {k} does not exist (the run has {Manifest.Chains}).");

        var initial = RunFolder.ReadInitialPosition(FolderPath, Manifest);
        var outcomes = Enumerable.Repeat(ChainOutcome.NotRun, Manifest.Chains).ToArray();
        var drawsStored = new long[Manifest.Chains];
        for (var k = 0; k < Manifest.Chains; k++)
            drawsStored[k] = File.Exists(RunLayout.ChunkIndexPath(FolderPath, k)) ? ReadCommittedDraws(k) : 0;

        // One failing chain stops the others cleanly (each writes a checkpoint) so nothing already done is lost.
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var failures = new List<(int Chain, Exception Error)>();
        // MaxParallelism workers, each on its own thread, take the chains in index order.
        var next = -1;
        var tasks = Enumerable.Range(0, Math.Min(MaxParallelism, chains.Length)).Select(_ => Task.Factory.StartNew(() =>
        {
            for (var i = Interlocked.Increment(ref next); i < chains.Length; i = Interlocked.Increment(ref next))
            {
                var k = chains[i];
                var runner = new ChainRunner(k, Manifest, FolderPath, _sampler, _options, _densityFactory, progress);
                try
                {
                    outcomes[k] = runner.Run(initial, stopAll.Token);
                }
                catch (Exception e)
                {
                    lock (failures) failures.Add((k, e));
                    stopAll.Cancel();
                }
                finally
                {
                    drawsStored[k] = runner.CommittedDraws;
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        // A damaged run folder or a bad setting is reported as itself; anything else as the chain that failed.
        var ordered = failures.OrderBy(f => f.Chain).ToList();
        if (ordered.FirstOrDefault(f => f.Error is RunFolderException or RunSettingsException).Error is { } typed) throw typed;
        if (ordered.Count == 1) throw new ChainFailedException(ordered[0].Chain, ordered[0].Error);
        if (ordered.Count > 1) throw new AggregateException("Several chains failed.", ordered.Select(f => new ChainFailedException(f.Chain, f.Error)));
        return new SamplingRunResult(FolderPath, outcomes, drawsStored);
    }

    /// <summary>Synchronous <see cref="RunAsync"/>.</summary>
    public SamplingRunResult Run(IProgress<ChainProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(progress, cancellationToken).GetAwaiter().GetResult();

    private long ReadCommittedDraws(int chain)
    {
        try { return ChunkIndex.Read(RunLayout.ChunkIndexPath(FolderPath, chain)).DrawCount; }
        catch (RunFolderException) { return 0; }
    }

    private static string InformationalVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static string WithoutBuildMetadata(string version) => version.Split('+')[0];
}
