using OnnxRay.Abstractions;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Posterior;

/// <summary>
/// A <see cref="PosteriorDefinition"/> opened: the normalised model and the data set loaded once, and a factory of
/// per-chain log densities (each chain gets its own ORT session and its own minibatch stream).
/// </summary>
public sealed class PosteriorProblem : IDisposable
{
    private OrtLogDensity? _firstDensity;

    private PosteriorProblem(PosteriorDefinition definition, ulong runSeed, OnnxModel model, DensityData data, DensityOptions options, ParameterSelection selection)
    {
        Definition = definition;
        RunSeed = runSeed;
        Model = model;
        Data = data;
        DensityOptions = options;
        Selection = selection;
        Devices = DevicePoolLogDensity.ParseDevices(definition.Device);
        // One density is built up front: it fixes the layout (the learned-noise likelihood adds log_sigma) and θ₀,
        // and is then handed to chain 0 instead of being built twice.
        _firstDensity = CreateDensity(0);
        Layout = _firstDensity.Layout;
        InitialTheta = _firstDensity.InitialTheta;
    }

    public PosteriorDefinition Definition { get; }

    /// <summary>The run seed the per-chain minibatch streams derive from.</summary>
    public ulong RunSeed { get; }
    public OnnxModel Model { get; }
    public DensityData Data { get; }
    public DensityOptions DensityOptions { get; }
    public ParameterSelection Selection { get; }
    public ParameterLayout Layout { get; }

    /// <summary>The devices of the definition (<c>cuda:0,cuda:1</c>, <c>cpu*2</c>, ...); chain k's own session runs on Devices[k mod n].</summary>
    public IReadOnlyList<string> Devices { get; }

    /// <summary>The model's own weights as θ (a pretrained network starts in its mode).</summary>
    public float[] InitialTheta { get; }

    /// <summary>Loads and normalises the model, reads the data (npz or CSV) and checks it against the model.</summary>
    public static PosteriorProblem Open(PosteriorDefinition definition, ulong runSeed = 0)
    {
        var options = DensityOptions.Parse(definition.Likelihood, definition.Prior, definition.Output);
        var model = definition.LoadModel();
        var data = LoadData(definition.DataPath, model, definition.TargetColumn, options.Likelihood.Kind == LikelihoodKind.Categorical);
        return new PosteriorProblem(definition, runSeed, model, data, options, ParameterSelection.Parse(definition.Params));
    }

    /// <summary>Reads an .npz (arrays by input name + target) or a CSV (feature columns + <paramref name="targetColumn"/>).</summary>
    public static DensityData LoadData(string path, OnnxModel model, string? targetColumn, bool integerTarget)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        if (!path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return DensityData.FromNpz(path);

        var graph = model.Proto.Graph;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new DataMismatchException(path, "*", $"a CSV can feed a model with one input; this model has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}): use an .npz with one array per input.");
        var dims = inputs[0].Type?.TensorType?.Shape?.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        return DensityData.FromArrays(CsvDataReader.Read(path, inputs[0].Name, dims, targetColumn, integerTarget), path);
    }

    /// <summary>
    /// Chain <paramref name="chain"/>'s density for a sampler: its own session on Devices[chain mod n] and, with several
    /// devices, a device pool whose other sessions (one per other device, built at the first batch) share batch
    /// evaluations such as the K proposals of the Metropolis multiple-proposal mode. Single evaluations stay on the
    /// chain's own session, so a chain draws the same with one device or several of the same kind.
    /// </summary>
    public ILogDensity CreateChainDensity(int chain)
    {
        var own = CreateDensity(chain);
        if (Devices.Count == 1) return own;
        var pool = Enumerable.Range(0, Devices.Count).Select(i => Devices[(chain + i) % Devices.Count]).ToList();
        return DevicePoolLogDensity.CreateLazy(own, pool, device => CreateDensity(chain, device));
    }

    /// <summary>A new log density for chain <paramref name="chain"/> on its round-robin device; its minibatch stream derives from (run seed, chain).</summary>
    public OrtLogDensity CreateDensity(int chain)
    {
        if (chain == 0 && Interlocked.Exchange(ref _firstDensity, null) is { } first) return first;
        return CreateDensity(chain, Devices[chain % Devices.Count]);
    }

    /// <summary>A new log density for chain <paramref name="chain"/> on <paramref name="device"/>.</summary>
    public OrtLogDensity CreateDensity(int chain, string device)
    {
        // A stream independent of the kernel's ChainRandom.ForChain(seed, chain): the constant separates the two families.
        var minibatchRandom = ChainRandom.ForChain(RunSeed ^ 0x6A09E667F3BCC908UL, chain);
        return OrtLogDensity.Create(Model, Data, DensityOptions, new OrtLogDensityOptions
        {
            BatchSize = Definition.BatchSize,
            MinibatchRandom = minibatchRandom,
            IntraOpThreads = Definition.Threads,
            Device = device,
        }, Selection);
    }

    /// <summary>Provenance for the manifest: model and data with SHA-256, layout, likelihood, prior, and the definition itself.</summary>
    public RunDescription Describe() => new()
    {
        Model = new FileReference(Path.GetFullPath(Definition.ModelPath), Sha256.OfFile(Definition.ModelPath)),
        Parameters = Layout.Tensors.Select(t => new ParameterLayoutEntry(t.Name, t.Shape, t.Offset)).ToList(),
        Data = Data.Arrays.Select(a => new DataReference(a.Key, Path.GetFullPath(Definition.DataPath), Sha256.OfFile(Definition.DataPath), a.Value.Shape)).ToList(),
        Likelihood = Definition.Likelihood,
        Prior = Definition.Prior,
        Extra = Definition.ToManifestExtra(),
    };

    /// <summary>Refuses to continue a run whose model or data file changed since the manifest was written.</summary>
    public static void VerifyUnchanged(RunManifest manifest, string manifestPath)
    {
        if (manifest.Model is { } m && File.Exists(m.Path) && Sha256.OfFile(m.Path) != m.Sha256)
            throw new RunFolderException(manifestPath, $"the model file '{m.Path}' changed since the run started (SHA-256 differs).");
        foreach (var d in manifest.Data.DistinctBy(d => d.Path))
            if (File.Exists(d.Path) && Sha256.OfFile(d.Path) != d.Sha256)
                throw new RunFolderException(manifestPath, $"the data file '{d.Path}' changed since the run started (SHA-256 differs).");
    }

    public void Dispose() => Interlocked.Exchange(ref _firstDensity, null)?.Dispose();
}
