using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Driver;

/// <summary>What the run samples, recorded in the manifest for provenance (the driver does not interpret it).</summary>
public sealed record RunDescription
{
    /// <summary>Version of the calling tool (defaults to OnnxRay.Sampling's informational version).</summary>
    public string? ToolVersion { get; init; }

    public FileReference? Model { get; init; }
    public IReadOnlyList<ParameterLayoutEntry> Parameters { get; init; } = [];
    public IReadOnlyList<DataReference> Data { get; init; } = [];
    public string? Likelihood { get; init; }
    public string? Prior { get; init; }

    /// <summary>Sampler plugin version; defaults to the factory assembly's informational version.</summary>
    public string? SamplerVersion { get; init; }

    public IReadOnlyDictionary<string, string>? Extra { get; init; }
}
