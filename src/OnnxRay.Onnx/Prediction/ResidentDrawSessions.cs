using Microsoft.ML.OnnxRuntime;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// A fixed set of draws (a serving host's) held as one ORT session per draw with the draw's weights as constant
/// initializers. ORT then runs each draw exactly like the original model: Gemm/MatMul weights pre-packed, Conv filters
/// reordered to its blocked layout, which weights fed as inputs never get (measured 1.3–1.5× slower forwards on the
/// bundled MLP and CNN). Costs memory (about twice the weights per draw) and start-up time, so it is bounded by
/// <see cref="PredictorOptions.ResidentDrawBudgetBytes"/>.
/// </summary>
internal sealed class ResidentDrawSessions : IDrawRunner
{
    private readonly InferenceSession[] _sessions;
    private readonly float[] _logSigmas;
    private readonly string[] _dataNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    private ResidentDrawSessions(IDrawSource draws, InferenceSession[] sessions, float[] logSigmas, PredictionGraph graph)
    {
        Draws = draws;
        _sessions = sessions;
        _logSigmas = logSigmas;
        _dataNames = graph.DataInputs.Select(d => d.Name).ToArray();
        _outputNames = [graph.OutputName];
    }

    /// <summary>The draws these sessions were built from.</summary>
    public IDrawSource Draws { get; }

    /// <summary>Estimated resident bytes per draw: ORT's copy of the weights plus a pre-packed copy, and per-session overhead.</summary>
    public static long BytesPerDraw(int dimension) => 2L * sizeof(float) * dimension + 64 * 1024;

    /// <summary>Builds one session per draw of <paramref name="draws"/> (one θ-sized scratch buffer, here at start-up only).</summary>
    public static ResidentDrawSessions Create(PredictionGraph graph, IDrawSource draws, int logSigmaOffset, Func<SessionOptions> sessionOptions)
    {
        var theta = new float[draws.Dimension];
        var sessions = new InferenceSession[draws.Count];
        var logSigmas = new float[draws.Count];
        try
        {
            for (var i = 0; i < draws.Count; i++)
            {
                draws.Read(i, theta);
                logSigmas[i] = logSigmaOffset >= 0 ? theta[logSigmaOffset] : float.NaN;
                using var options = sessionOptions();
                // One arena for every draw's session: their intermediate tensors reuse the same (cache-warm) blocks
                // instead of M arenas' worth of cold memory (measured 1.2–1.5× slower runs with per-session arenas).
                if (SharedCpuArena.Registered) options.AddSessionConfigEntry("session.use_env_allocators", "1");
                sessions[i] = new InferenceSession(graph.ToBytesWithWeights(theta), options);
            }
        }
        catch
        {
            foreach (var s in sessions) s?.Dispose();
            throw;
        }
        return new ResidentDrawSessions(draws, sessions, logSigmas, graph);
    }

    public float Run(IDrawSource draws, int index, IReadOnlyList<OrtValue[]> chunks, ChunkOutputSink sink)
    {
        if (!ReferenceEquals(draws, Draws)) throw new ArgumentException("These sessions hold other draws.", nameof(draws));
        var session = _sessions[index];
        for (var c = 0; c < chunks.Count; c++)
        {
            using var results = session.Run(_runOptions, _dataNames, chunks[c], _outputNames);
            sink(c, results[0]);
        }
        return _logSigmas[index];
    }

    public void Dispose()
    {
        foreach (var s in _sessions) s.Dispose();
        _runOptions.Dispose();
    }
}
