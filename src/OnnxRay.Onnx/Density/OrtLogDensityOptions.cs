using Microsoft.ML.OnnxRuntime;
using OnnxRay.Abstractions;

namespace OnnxRay.Onnx.Density;

/// <summary>Runtime options of <see cref="OrtLogDensity"/>.</summary>
public sealed record OrtLogDensityOptions
{
    /// <summary>Examples per evaluation; null or ≥ N means full batch (deterministic).</summary>
    public long? BatchSize { get; init; }

    /// <summary>Random stream of the minibatch feeder (required when minibatching; e.g. ChainRandom.ForChain(seed, k).Fork()).</summary>
    public ChainRandom? MinibatchRandom { get; init; }

    /// <summary>ONNX Runtime intra-op threads (1 by default: chains run in parallel instead).</summary>
    public int IntraOpThreads { get; init; } = 1;

    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary><c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";
}
