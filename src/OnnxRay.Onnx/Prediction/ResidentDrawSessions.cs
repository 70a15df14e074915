using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// A fixed set of draws (a serving host's) held as ORT sessions with the draws' weights as constant initializers, a
/// group of consecutive draws per session. ORT then runs each draw like the original model: Gemm/MatMul weights
/// pre-packed, Conv filters reordered to its blocked layout, which weights fed as inputs never get (measured 1.3–1.5×
/// slower forwards on the bundled MLP and CNN); and one run per group instead of one per draw pays ORT's per-run cost
/// once for the group. A group's graph runs a first Conv on the request's data once for all its draws where it can
/// (<see cref="BatchedDrawGraph"/>: one im2col and one wider GEMM instead of one per draw), the rest as renamed
/// per-draw copies (<see cref="DrawGroupGraph"/>); a dense network runs whole as one chain over a draw axis
/// (<see cref="DenseDrawGraph"/>), whose one output is handed out slice by slice. Costs memory (about twice the
/// weights per draw) and start-up time, so it is bounded by <see cref="PredictorOptions.ResidentDrawBudgetBytes"/>.
/// </summary>
internal sealed class ResidentDrawSessions : IDrawRunner
{
    private readonly InferenceSession[] _sessions;
    private readonly string[][] _outputNames;
    private readonly bool[] _stacked;
    private readonly float[] _logSigmas;
    private readonly string[] _dataNames;
    private readonly RunOptions _runOptions = new();

    private ResidentDrawSessions(IDrawSource draws, int blockSize, bool batchDraws, InferenceSession[] sessions, float[] logSigmas,
        PredictionGraph graph)
    {
        Draws = draws;
        BlockSize = blockSize;
        _sessions = sessions;
        _logSigmas = logSigmas;
        _dataNames = graph.DataInputs.Select(d => d.Name).ToArray();
        var groupSizes = sessions.Select((_, b) => Math.Min(blockSize, draws.Count - b * blockSize)).ToArray();
        _outputNames = groupSizes.Select(g => graph.GroupOutputNames(g, batchDraws)).ToArray();
        _stacked = groupSizes.Select(g => graph.StacksDrawOutputs(g, batchDraws)).ToArray();
    }

    /// <summary>The draws these sessions were built from.</summary>
    public IDrawSource Draws { get; }

    /// <summary>Draws per session.</summary>
    public int BlockSize { get; }

    /// <summary>Estimated resident bytes per draw: ORT's copy of the weights plus a pre-packed copy, and per-session overhead.</summary>
    public static long BytesPerDraw(int dimension) => 2L * sizeof(float) * dimension + 64 * 1024;

    /// <summary>
    /// Builds one session per <paramref name="drawsPerSession"/> consecutive draws of <paramref name="draws"/> (that many
    /// θ-sized scratch buffers, here at start-up only), the draws' first layers batched when <paramref name="batchDraws"/>.
    /// </summary>
    public static ResidentDrawSessions Create(PredictionGraph graph, IDrawSource draws, int drawsPerSession, bool batchDraws, int logSigmaOffset,
        Func<SessionOptions> sessionOptions)
    {
        if (drawsPerSession < 1 || (drawsPerSession > 1 && !graph.CanGroupDraws))
            throw new ArgumentOutOfRangeException(nameof(drawsPerSession), drawsPerSession, "this graph takes one draw per session.");
        var sessions = new InferenceSession[(draws.Count + drawsPerSession - 1) / drawsPerSession];
        var logSigmas = new float[draws.Count];
        var thetas = new float[Math.Min(drawsPerSession, draws.Count)][];
        for (var j = 0; j < thetas.Length; j++) thetas[j] = new float[draws.Dimension];
        try
        {
            for (var b = 0; b < sessions.Length; b++)
            {
                var first = b * drawsPerSession;
                var group = thetas[..Math.Min(drawsPerSession, draws.Count - first)];
                for (var j = 0; j < group.Length; j++)
                {
                    draws.Read(first + j, group[j]);
                    logSigmas[first + j] = logSigmaOffset >= 0 ? group[j][logSigmaOffset] : float.NaN;
                }
                using var options = sessionOptions();
                // One arena for every group's session: their intermediate tensors reuse the same (cache-warm) blocks
                // instead of many arenas' worth of cold memory (measured 1.2–1.5× slower runs with per-session arenas).
                if (SharedCpuArena.Registered) options.AddSessionConfigEntry("session.use_env_allocators", "1");
                sessions[b] = new InferenceSession(graph.ToBytesWithDraws(group, batchDraws), options);
            }
        }
        catch
        {
            foreach (var s in sessions) s?.Dispose();
            throw;
        }
        return new ResidentDrawSessions(draws, drawsPerSession, batchDraws, sessions, logSigmas, graph);
    }

    public void Run(IDrawSource draws, int first, IReadOnlyList<OrtValue[]> chunks, DrawOutputSink sink)
    {
        if (!ReferenceEquals(draws, Draws)) throw new ArgumentException("These sessions hold other draws.", nameof(draws));
        if (first % BlockSize != 0) throw new ArgumentException($"Draw {first} does not start a block of {BlockSize}.", nameof(first));
        var block = first / BlockSize;
        var outputNames = _outputNames[block];
        var count = Math.Min(BlockSize, Draws.Count - first);
        for (var c = 0; c < chunks.Count; c++)
        {
            using var results = _sessions[block].Run(_runOptions, _dataNames, chunks[c], outputNames);
            if (_stacked[block]) SinkSlices(results[0], first, count, c, sink);
            else for (var j = 0; j < count; j++) sink(first + j, c, results[j], _logSigmas[first + j]);
        }
    }

    /// <summary>Hands draw j slice j of a stacked output [G, rows, …], viewed in place (no copy) while the result is alive.</summary>
    private unsafe void SinkSlices(OrtValue stacked, int first, int count, int chunk, DrawOutputSink sink)
    {
        var shape = stacked.GetTensorTypeAndShape().Shape;
        long[] drawShape = shape[1..];
        var values = stacked.GetTensorDataAsSpan<float>();
        var perDraw = values.Length / count;
        fixed (float* start = values)
            for (var j = 0; j < count; j++)
            {
                using var slice = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, drawShape,
                    (IntPtr)(start + (long)j * perDraw), (long)perDraw * sizeof(float));
                sink(first + j, chunk, slice, _logSigmas[first + j]);
            }
    }

    public void Dispose()
    {
        foreach (var s in _sessions) s.Dispose();
        _runOptions.Dispose();
    }
}
