using System.Globalization;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Posterior;

/// <summary>
/// Everything that defines the posterior a run samples: model, data, likelihood, prior, which weights, batching and
/// device. Recorded in the run manifest so that <c>--resume</c>, <c>predict</c>, <c>diagnose</c> and <c>serve</c> can
/// rebuild the same density from the run folder alone.
/// </summary>
public sealed record PosteriorDefinition
{
    public required string ModelPath { get; init; }
    public required string DataPath { get; init; }
    public string? TargetColumn { get; init; }
    public required string Likelihood { get; init; }
    public string Prior { get; init; } = "none";
    public string? Params { get; init; }
    public string? Output { get; init; }
    public long? BatchSize { get; init; }
    public string Device { get; init; } = "cpu";
    public int Threads { get; init; } = 1;

    /// <summary>Keep Identity aliases of a shared initializer tied (one parameter) instead of untying them (the default).</summary>
    public bool TieAliases { get; init; }

    /// <summary>The model loaded and normalised as this posterior defines it (the same θ layout for sample, resume, predict, serve).</summary>
    public OnnxModel LoadModel() =>
        ModelNormalizer.Normalize(OnnxModel.Load(ModelPath), new NormalizationOptions { TieAliases = TieAliases });

    private const string Prefix = "posterior.";

    /// <summary>The settings as manifest <c>extra</c> entries (paths made absolute).</summary>
    public IReadOnlyDictionary<string, string> ToManifestExtra()
    {
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Prefix + "model"] = Path.GetFullPath(ModelPath),
            [Prefix + "data"] = Path.GetFullPath(DataPath),
            [Prefix + "likelihood"] = Likelihood,
            [Prefix + "prior"] = Prior,
            [Prefix + "device"] = Device,
            [Prefix + "threads"] = Threads.ToString(CultureInfo.InvariantCulture),
        };
        if (TargetColumn is not null) extra[Prefix + "target-column"] = TargetColumn;
        if (Params is not null) extra[Prefix + "params"] = Params;
        if (Output is not null) extra[Prefix + "output"] = Output;
        if (BatchSize is { } b) extra[Prefix + "batch-size"] = b.ToString(CultureInfo.InvariantCulture);
        // Written only when set, so manifests of runs without it stay as they were.
        if (TieAliases) extra[Prefix + "tie-aliases"] = "true";
        return extra;
    }

    /// <summary>Reads the definition back from a manifest written with <see cref="ToManifestExtra"/>.</summary>
    /// <exception cref="RunFolderException">The manifest was not written by <c>onnxray sample</c>.</exception>
    public static PosteriorDefinition FromManifest(RunManifest manifest, string manifestPath)
    {
        var extra = manifest.Extra ?? new Dictionary<string, string>();
        string Required(string key) => extra.TryGetValue(Prefix + key, out var v)
            ? v
            : throw new RunFolderException(manifestPath, $"has no '{Prefix}{key}' entry: this run was not made by 'onnxray sample', so the model and data cannot be found.");
        string? Optional(string key) => extra.TryGetValue(Prefix + key, out var v) ? v : null;
        return new PosteriorDefinition
        {
            ModelPath = Required("model"),
            DataPath = Required("data"),
            Likelihood = Required("likelihood"),
            Prior = Optional("prior") ?? "none",
            TargetColumn = Optional("target-column"),
            Params = Optional("params"),
            Output = Optional("output"),
            BatchSize = Optional("batch-size") is { } b ? long.Parse(b, CultureInfo.InvariantCulture) : null,
            Device = Optional("device") ?? "cpu",
            Threads = Optional("threads") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : 1,
            TieAliases = Optional("tie-aliases") is { } tie && bool.Parse(tie),
        };
    }
}
