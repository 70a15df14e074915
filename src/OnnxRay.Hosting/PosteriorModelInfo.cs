namespace OnnxRay.Hosting;

/// <summary>What a posterior predictor expects and returns, and which run its draws come from.</summary>
/// <param name="RunFolder">Absolute path of the run folder.</param>
/// <param name="Inputs">The model's data inputs.</param>
/// <param name="Output">The model output the predictions are read from.</param>
/// <param name="Task">classification, binary or regression.</param>
/// <param name="DrawsUsed">Draws M aggregated per prediction (evenly thinned when fewer than available).</param>
/// <param name="DrawsAvailable">Committed draws over all chains.</param>
/// <param name="Manifest">Provenance of the run.</param>
public sealed record PosteriorModelInfo(
    string RunFolder,
    IReadOnlyList<TensorInfo> Inputs,
    TensorInfo Output,
    string Task,
    int DrawsUsed,
    long DrawsAvailable,
    RunSummary Manifest);

/// <summary>A named tensor: npy-style dtype name (float32, int64, …) and shape, with null for a dynamic dimension.</summary>
public sealed record TensorInfo(string Name, string Dtype, IReadOnlyList<long?> Shape);

/// <summary>The parts of a run's manifest.json a client of the service needs to know what it is talking to.</summary>
public sealed record RunSummary(
    string? ModelPath,
    string? ModelSha256,
    string Sampler,
    string SamplerVersion,
    int Chains,
    int Warmup,
    int DrawsPerChain,
    int Thin,
    int Dimension,
    string? Likelihood,
    string? Prior,
    ulong Seed,
    DateTimeOffset CreatedUtc,
    string ToolVersion);
