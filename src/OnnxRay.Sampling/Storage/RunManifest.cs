using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxRay.Sampling.Storage;

/// <summary>
/// <c>manifest.json</c>: everything that defines a run. Written once when the run folder is created and never
/// rewritten (several processes may later share a run folder, one writer per chain). On resume it is the source
/// of truth for the sampler options and run settings.
/// </summary>
public sealed record RunManifest
{
    /// <summary>The manifest format this code writes.</summary>
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Version of the tool that created the run.</summary>
    public string ToolVersion { get; init; } = "";

    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The model file and its SHA-256 (null for runs on a density that has no model, e.g. a test target).</summary>
    public FileReference? Model { get; init; }

    /// <summary>How the flat θ maps onto the model's tensors.</summary>
    public IReadOnlyList<ParameterLayoutEntry> Parameters { get; init; } = [];

    /// <summary>Data files with their SHA-256 and shapes.</summary>
    public IReadOnlyList<DataReference> Data { get; init; } = [];

    /// <summary>Likelihood description (e.g. "categorical(temperature=1)").</summary>
    public string? Likelihood { get; init; }

    /// <summary>Prior description (e.g. "gaussian(sigma=1)").</summary>
    public string? Prior { get; init; }

    public required SamplerReference Sampler { get; init; }

    /// <summary>Number of sampled dimensions D (length of one draw).</summary>
    public required int Dimension { get; init; }

    public required ulong Seed { get; init; }
    public required int Chains { get; init; }

    /// <summary>Warm-up transitions per chain.</summary>
    public required int Warmup { get; init; }

    /// <summary>Stored draws per chain (after thinning: Draws × Thin sampling transitions).</summary>
    public required int Draws { get; init; }

    /// <summary>Transitions per stored draw.</summary>
    public required int Thin { get; init; }

    /// <summary>Stored draws per .npy chunk.</summary>
    public required int ChunkSize { get; init; }

    /// <summary>numpy dtype of the draws: "&lt;f4" or "&lt;f2".</summary>
    public required string Dtype { get; init; }

    /// <summary>Standard deviation of the Gaussian jitter added to the initial position of each chain.</summary>
    public double InitialJitter { get; init; }

    /// <summary>Checkpoint every this many transitions (0: only at chunk commits, end of warm-up and interruption).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>SHA-256 of <c>initial.npy</c>, the un-jittered start position.</summary>
    public string? InitialPositionSha256 { get; init; }

    /// <summary>Free-form extra settings the caller wants recorded (e.g. the command line).</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>A file the run depends on, identified by content.</summary>
public sealed record FileReference(string Path, string Sha256);

/// <summary>A data file (or array in an .npz) with its content hash and shape.</summary>
public sealed record DataReference(string Name, string Path, string Sha256, IReadOnlyList<long> Shape);

/// <summary>One named tensor of θ: elements [Offset, Offset + product(Shape)) of the flat vector.</summary>
public sealed record ParameterLayoutEntry(string Name, IReadOnlyList<long> Shape, long Offset);

/// <summary>The sampler and its fully bound options (every option, defaults included, as invariant text).</summary>
public sealed record SamplerReference(string Name, string Version, IReadOnlyDictionary<string, string?> Options);
