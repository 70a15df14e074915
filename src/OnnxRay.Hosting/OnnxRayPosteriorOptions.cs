namespace OnnxRay.Hosting;

/// <summary>
/// Settings of the posterior predictor a host serves, bound from code or from a configuration section
/// (by default <see cref="DefaultSectionName"/>) and validated when the host starts.
/// </summary>
public sealed class OnnxRayPosteriorOptions
{
    /// <summary>The configuration section the options are usually bound from.</summary>
    public const string DefaultSectionName = "OnnxRay:Posterior";

    /// <summary>A run folder written by <c>onnxray sample</c> (required).</summary>
    public string RunFolder { get; set; } = "";

    /// <summary>Use at most this many draws, evenly thinned over all chains (null: every committed draw).</summary>
    public int? MaxDraws { get; set; }

    /// <summary>Draws evaluated at once within one request (one pooled θ buffer each).</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>ONNX Runtime intra-op threads of the shared session (0 = ONNX Runtime's default).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Examples per forward pass; larger requests are split into chunks of this many rows.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>cpu or cuda:N.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// Memory allowed for one ONNX Runtime session per draw with the weights as constants (about 2 × 4 × D bytes per
    /// draw): each draw then costs one plain forward of the model. Above it, or at 0, the draws share one session
    /// with the weights as inputs (1.3–1.5× slower forwards on the bundled models, no per-draw memory).
    /// </summary>
    public long ResidentDrawBudgetBytes { get; set; } = 256L << 20;

    /// <summary>
    /// Resident draws per ONNX Runtime session (one run per group), fewer when needed to give each parallel worker a
    /// session. 1 = one session per draw.
    /// </summary>
    public int ResidentDrawsPerSession { get; set; } = 8;

    /// <summary>
    /// A session's draws run together: a dense network (Gemm/MatMul layers, elementwise ops, softmax head) whole as
    /// one chain over a draw axis; otherwise a first Conv on the request's data as one kernel with their filters
    /// stacked (and the activations and pooling after it); false = side-by-side copies of the forward graph only.
    /// Outputs agree to float rounding either way.
    /// </summary>
    public bool BatchResidentDraws { get; set; } = true;

    /// <summary>Also return every draw's raw output (M × outputs floats per request).</summary>
    public bool KeepPerDrawOutputs { get; set; }

    /// <summary>Largest accepted request body in bytes (Kestrel's MaxRequestBodySize for the predict endpoint).</summary>
    public long MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Predictions computed at once; further requests wait (asynchronously) for a slot, so a burst queues instead of
    /// blocking every thread-pool thread.
    /// </summary>
    public int MaxConcurrentPredictions { get; set; } = Environment.ProcessorCount;
}
