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

    /// <summary>
    /// From this many parameters on, each evaluation binds ONNX Runtime to the caller's θ and gradient memory instead
    /// of copying them through the session's own pinned arrays (saves two θ-sized arrays per session and two copies per
    /// call; costs a few OrtValue headers per call, negligible at this size). Same results bit for bit.
    /// </summary>
    public int BindCallerMemoryFromDimension { get; init; } = 1 << 20;

    /// <summary>
    /// Largest tensor (bytes) computed from the data alone that a full-batch density computes once, in a run of its own,
    /// instead of in every evaluation (<see cref="DensityGraph.DataOnly"/>); larger ones stay in the per-evaluation graph.
    /// 0 turns hoisting off. Minibatch densities never hoist: their data change with every evaluation, and a data-only
    /// run per batch measured slower than the whole graph (digits_cnn: 1.10× at batch 1, 1.05× at batch 256).
    /// </summary>
    public long HoistLimitBytes { get; init; } = DataOnlyPart.DefaultLimitBytes;

    /// <summary><c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>True when the sessions run on ORT's CPU provider (graphs may then use its CPU-only kernels).</summary>
    internal bool IsCpu => Device.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase);
}
