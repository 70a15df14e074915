using System.CommandLine;
using OnnxRay.Cli.Progress;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Plugins;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Cli.Commands;

/// <summary>
/// <c>onnxray sample MODEL --data D --likelihood K --sampler S --chains K --warmup W --draws N --seed S --out RUN/</c>,
/// and <c>onnxray sample --resume RUN/</c> to continue an interrupted run bit-identically. With <c>--chain-index I</c>
/// (or inside a Kubernetes Indexed Job / Slurm array, see <see cref="ArrayTaskIndex"/>) the process writes only chain I
/// into a shared run folder, creating or joining the run.
/// </summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("MODEL") { Description = "The ONNX model file (omit with --resume).", Arity = ArgumentArity.ZeroOrOne };
        var data = new Option<string?>("--data") { Description = "Training data: .npz (one array per model input + 'target') or .csv (with --target-column)." };
        var targetColumn = new Option<string?>("--target-column") { Description = "CSV column holding the target." };
        var likelihood = new Option<string?>("--likelihood") { Description = "categorical | gaussian:SIGMA | gaussian | bernoulli | output:NAME | loss:NAME" };
        var prior = SharedOptions.Prior();
        var parameters = SharedOptions.Params();
        var output = SharedOptions.Output();
        var tieAliases = SharedOptions.TieAliases();
        var sampler = new Option<string>("--sampler") { Description = "Sampler plugin name (see 'onnxray plugins').", DefaultValueFactory = _ => "raytracing" };
        var samplerOptions = new Option<string[]>("--sampler-option") { Description = "Sampler option key=value (repeatable).", DefaultValueFactory = _ => [] };
        var chains = new Option<int>("--chains") { Description = "Number of chains.", DefaultValueFactory = _ => 4 };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up (adaptation) transitions per chain.", DefaultValueFactory = _ => 500 };
        var draws = new Option<int>("--draws") { Description = "Stored draws per chain.", DefaultValueFactory = _ => 500 };
        var thin = new Option<int>("--thin") { Description = "Keep one transition in T.", DefaultValueFactory = _ => 1 };
        var batch = new Option<long?>("--batch-size") { Description = "Minibatch size B (default: full batch). The likelihood is scaled by N/B." };
        var seed = new Option<ulong>("--seed") { Description = "Run seed; chain k's random stream derives from (seed, k).", DefaultValueFactory = _ => 1 };
        var outDir = new Option<string?>("--out") { Description = "New run folder." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its checkpoints." };
        var jitter = new Option<double>("--jitter") { Description = "Std of Gaussian noise added to the initial weights per chain.", DefaultValueFactory = _ => 0.0 };
        var chunk = new Option<int>("--chunk-size") { Description = "Draws per .npy chunk file.", DefaultValueFactory = _ => 100 };
        var precision = new Option<DrawPrecision>("--precision") { Description = "Storage type of the draws.", DefaultValueFactory = _ => DrawPrecision.Float32 };
        var parallel = new Option<int>("--max-parallel") { Description = "Chains run at once (default: one per core).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var plugins = SharedOptions.PluginFolders();
        var device = SharedOptions.Device();
        device.Description = "Devices, comma-separated: cpu (default), cuda:0, cuda:0,cuda:1; several CPU sessions as cpu,cpu or cpu*2. " +
                             "Chains are spread round-robin over the list (each chain its own session on its device); batch " +
                             "evaluations of one chain (metropolis proposals=K) go across all of them. With --resume it replaces " +
                             "the run's devices (a chain may continue on another device). CUDA needs the GPU build: -p:OnnxRayGpu=true.";
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads per chain.", DefaultValueFactory = _ => 1 };
        var chainIndex = new Option<string?>("--chain-index")
        {
            Description = "Array mode: run only chain I of --chains K into the shared --out folder (the first task creates the run, the " +
                          "others join it after checking that their settings agree; a restarted task resumes its chain). 'auto' reads I from " +
                          $"{ArrayTaskIndex.KubernetesVariable} (Kubernetes Indexed Job) or {ArrayTaskIndex.SlurmVariable} (Slurm array), and is " +
                          "the default when one of them is set; 'all' runs every chain in this process.",
        };

        var command = new Command("sample", "Draw posterior samples of a model's weights into a run folder.")
        {
            model, data, targetColumn, likelihood, prior, parameters, output, tieAliases, sampler, samplerOptions, chains, warmup, draws, thin,
            batch, seed, outDir, resume, jitter, chunk, precision, parallel, plugins, device, threads, chainIndex,
        };
        command.SetAction(parse => CliAction.Run(() =>
        {
            using var catalog = PluginCatalog.LoadStandard(parse.GetValue(plugins));
            var arrayIndex = ArrayTaskIndex.Resolve(parse.GetValue(chainIndex), Environment.GetEnvironmentVariable);
            if (parse.GetValue(resume) is { } resumeFolder)
                return Resume(catalog, resumeFolder, parse.GetValue(parallel), arrayIndex?.Index,
                    parse.GetResult(device) is { Implicit: false } ? parse.GetValue(device) : null);

            var definition = new PosteriorDefinition
            {
                ModelPath = parse.GetValue(model) ?? throw new CliUsageException("MODEL is required (or use --resume RUN/)."),
                DataPath = parse.GetValue(data) ?? throw new CliUsageException("--data is required."),
                TargetColumn = parse.GetValue(targetColumn),
                Likelihood = parse.GetValue(likelihood) ?? throw new CliUsageException("--likelihood is required."),
                Prior = parse.GetValue(prior)!,
                Params = parse.GetValue(parameters),
                Output = parse.GetValue(output),
                BatchSize = parse.GetValue(batch),
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
                TieAliases = parse.GetValue(tieAliases),
            };
            var folder = parse.GetValue(outDir) ?? throw new CliUsageException("--out RUN/ is required (or use --resume RUN/).");
            var settings = new SamplingRunSettings
            {
                Chains = parse.GetValue(chains),
                Warmup = parse.GetValue(warmup),
                Draws = parse.GetValue(draws),
                Thin = parse.GetValue(thin),
                Seed = parse.GetValue(seed),
                ChunkSize = parse.GetValue(chunk),
                Precision = parse.GetValue(precision),
                InitialJitter = parse.GetValue(jitter),
            };
            settings.Validate();
            var loaded = catalog.Get(parse.GetValue(sampler)!);
            var options = loaded.BindOptions(parse.GetValue(samplerOptions)!);

            using var problem = PosteriorProblem.Open(definition, settings.Seed);
            if (arrayIndex is { } task)
            {
                var joined = SamplingRun.CreateOrJoin(folder, settings, loaded.Factory, options, problem.InitialTheta, problem.CreateChainDensity,
                    [task.Index], problem.Describe(), out var created);
                joined.MaxParallelism = 1;
                var checkpoint = File.Exists(RunLayout.CheckpointPath(joined.FolderPath, task.Index));
                Console.WriteLine($"Array task {task.Index} of {settings.Chains} (index from {task.Source}): " +
                                  $"{(created ? "created" : "joined")} the run in {folder}; chain {task.Index} " +
                                  $"{(checkpoint ? "continues from its checkpoint" : "starts")} with '{loaded.Name}' " +
                                  $"({settings.Warmup} warm-up + {settings.Draws} draws, {problem.Layout.Dimension:N0} weights).");
                return Execute(joined);
            }
            if (problem.Devices.Count > 1) Console.WriteLine($"Devices: {string.Join(", ", problem.Devices)} (chains round-robin; batches across all).");
            Console.WriteLine($"Sampling {problem.Layout.Dimension:N0} weights of {definition.ModelPath} on {problem.Data.Count:N0} examples with '{loaded.Name}' " +
                              $"({settings.Chains} chains × {settings.Warmup} warm-up + {settings.Draws} draws) into {folder}");
            var run = SamplingRun.Create(folder, settings, loaded.Factory, options, problem.InitialTheta, problem.CreateChainDensity, problem.Describe());
            run.MaxParallelism = parse.GetValue(parallel);
            return Execute(run);
        }));
        return command;
    }

    /// <param name="devices">--device given on the command line: replaces the devices recorded in the manifest.</param>
    private static int Resume(PluginCatalog catalog, string folder, int maxParallel, int? onlyChain, string? devices)
    {
        var manifest = RunFolder.ReadManifest(folder);
        var manifestPath = RunLayout.ManifestPath(Path.GetFullPath(folder));
        PosteriorProblem.VerifyUnchanged(manifest, manifestPath);
        var definition = PosteriorDefinition.FromManifest(manifest, manifestPath);
        if (devices is not null) definition = definition with { Device = devices };
        using var problem = PosteriorProblem.Open(definition, manifest.Seed);
        var run = SamplingRun.Resume(folder, catalog.Get(manifest.Sampler.Name).Factory, problem.CreateChainDensity);
        run.MaxParallelism = maxParallel;
        if (onlyChain is { } k) run.OnlyChains = [k];
        Console.WriteLine(onlyChain is { } c
            ? $"Resuming chain {c} of {folder} ({manifest.Chains} chains of '{manifest.Sampler.Name}')."
            : $"Resuming {folder}: {manifest.Chains} chains of '{manifest.Sampler.Name}'.");
        return Execute(run);
    }

    /// <summary>Runs with progress; Ctrl-C stops every chain at a checkpoint so the run can be resumed.</summary>
    private static int Execute(SamplingRun run)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
            Console.Error.WriteLine("Stopping at the next step boundary and writing checkpoints (Ctrl-C again to abort)...");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = RunProgressView.Show(progress => run.RunAsync(progress, cancel.Token));
            if (result.WasInterrupted)
            {
                Console.Error.WriteLine($"Interrupted; continue with: onnxray sample --resume {result.FolderPath}");
                return CliAction.Cancelled;
            }
            Console.WriteLine($"Done: {result.DrawsStored.Sum():N0} draws in {result.FolderPath}");
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
