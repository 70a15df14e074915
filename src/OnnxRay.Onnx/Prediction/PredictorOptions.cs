namespace OnnxRay.Onnx.Prediction;

/// <summary>Settings of a <see cref="PosteriorPredictor"/>.</summary>
public sealed record PredictorOptions
{
    /// <summary>Draws evaluated at once (one pooled worker each, with its own θ buffer).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>ONNX Runtime intra-op threads of the shared session.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Examples per forward pass (bounds the memory of per-draw outputs).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>cpu or cuda:N.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Also return every draw's raw output (M × outputs floats).</summary>
    public bool KeepPerDrawOutputs { get; init; }
}
