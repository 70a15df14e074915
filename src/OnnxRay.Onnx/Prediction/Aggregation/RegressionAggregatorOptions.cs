namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>Options of a <see cref="RegressionAggregator"/>.</summary>
public sealed record RegressionAggregatorOptions
{
    /// <summary>
    /// Targets y (one per output). When given, the log predictive density is accumulated while streaming, with no
    /// per-draw storage.
    /// </summary>
    public double[]? Targets { get; init; }

    /// <summary>
    /// Keep per-draw μ_s and σ_s so that mixture quantiles, PIT values and coverage can be computed afterwards.
    /// Costs O(kept draws × outputs) memory; the other aggregates stay O(outputs).
    /// </summary>
    public bool KeepDrawsForQuantiles { get; init; } = true;

    /// <summary>
    /// Largest number of draws kept for quantiles; beyond it a uniform reservoir sample (Algorithm R, same draws for
    /// every output) is kept and quantiles become approximate. Null keeps every draw.
    /// </summary>
    public int? ReservoirCapacity { get; init; }

    /// <summary>Seed of the reservoir sampler.</summary>
    public ulong ReservoirSeed { get; init; } = 0x5EED;
}
