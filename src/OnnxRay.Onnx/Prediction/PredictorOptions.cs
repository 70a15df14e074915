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

    /// <summary>
    /// Memory allowed for ORT sessions holding the draws' weights as constants, when a fixed draw set is made
    /// resident (<see cref="PosteriorPredictor.UseResidentDraws"/>); above it, draws share one session with the weights
    /// as inputs (slower kernels, no per-draw memory). 0 (the default, right for one-shot predictions over many
    /// draws, where building the sessions would cost more than it saves) turns resident draws off; hosts turn it on.
    /// </summary>
    public long ResidentDrawBudgetBytes { get; init; }

    /// <summary>
    /// Resident draws held per ORT session (run together): one run per group pays ORT's per-run cost once. Fewer when
    /// needed to give every parallel worker a session. Measured on the bundled models with side-by-side copies: groups
    /// of 5–10 cut the time of M forwards by 30–40 % (MLP, batch 1–32), 10 % (batch 256), and left the CNN unchanged;
    /// beyond that larger graphs got slower. The CNN gains from groups through <see cref="BatchResidentDraws"/>.
    /// </summary>
    public int ResidentDrawsPerSession { get; init; } = 8;

    /// <summary>
    /// Within a resident session, run the session's draws together: a dense network (Gemm/MatMul layers, elementwise
    /// ops, softmax head) whole as one chain over a draw axis (<see cref="DenseDrawGraph"/>); elsewhere the layers that
    /// read only the request's data (a first Conv and the channelwise ops after it) once for all the draws, their filters
    /// stacked along the output channels (<see cref="BatchedDrawGraph"/>); other graphs keep renamed copies. Outputs then
    /// match one session per draw to float rounding (other GEMM shapes), not bit for bit. Off: renamed copies only.
    /// </summary>
    public bool BatchResidentDraws { get; init; } = true;

    /// <summary>Per-draw outputs buffered before they are aggregated (floats); bounds a request's memory for large outputs.</summary>
    internal long WaveBufferFloats { get; init; } = 4L << 20;

    /// <summary>Also return every draw's raw output (M × outputs floats).</summary>
    public bool KeepPerDrawOutputs { get; init; }
}
