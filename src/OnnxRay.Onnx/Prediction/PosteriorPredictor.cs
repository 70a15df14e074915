using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Turns posterior draws of θ into predictions. Any draw source runs through one shared ORT session of the forward
/// graph in which every sampled weight tensor is a graph input, bound without copying to a pooled worker's θ buffer.
/// A fixed draw set (a serving host's, see <see cref="UseResidentDraws"/>) can instead get sessions with the weights
/// as constants, a group of draws per session (<see cref="ResidentDrawSessions"/>), which ORT runs as fast as the
/// original model or faster. Draws are evaluated in parallel and
/// aggregated in draw order, so results do not depend on the parallelism. Thread-safe: concurrent
/// <see cref="Predict"/> calls share the sessions; no request allocates a θ-sized buffer.
/// </summary>
public sealed class PosteriorPredictor : IDisposable
{
    private readonly PredictionGraph _graph;
    private readonly InferenceSession _session;
    private readonly LikelihoodSpec _likelihood;
    private readonly PredictorOptions _options;
    private readonly int _logSigmaOffset = -1;
    private readonly SharedSessionRunner _shared;
    private ResidentDrawSessions? _resident;

    private PosteriorPredictor(OnnxModel model, PredictionGraph graph, InferenceSession session, ParameterLayout layout, LikelihoodSpec likelihood,
        PredictorOptions options)
    {
        Model = model;
        _graph = graph;
        _session = session;
        _likelihood = likelihood;
        _options = options;
        Dimension = layout.Dimension;
        Task = PredictionTasks.For(likelihood);
        if (likelihood.Kind == LikelihoodKind.GaussianLearned) _logSigmaOffset = layout[LikelihoodSpec.LogSigmaParameter].Offset;
        _shared = new SharedSessionRunner(session, layout, graph, _logSigmaOffset);
    }

    /// <summary>The (normalised) model the predictions come from.</summary>
    public OnnxModel Model { get; }

    /// <summary>The model's data inputs (name, element type, dimensions; 0 = dynamic).</summary>
    public IReadOnlyList<ModelInput> DataInputs => _graph.DataInputs;

    /// <summary>The model output the predictions are read from.</summary>
    public string OutputName => _graph.OutputName;

    /// <summary>How outputs are aggregated.</summary>
    public PredictionTask Task { get; }

    /// <summary>Length D of the draws this predictor accepts.</summary>
    public int Dimension { get; }

    /// <summary>Whether <see cref="UseResidentDraws"/> built resident draw sessions.</summary>
    public bool HasResidentDraws => _resident is not null;

    /// <summary>
    /// Builds the forward session for <paramref name="model"/> (already normalised) whose weights in <paramref name="layout"/>
    /// come from the draws.
    /// </summary>
    public static PosteriorPredictor Create(OnnxModel model, ParameterLayout layout, LikelihoodSpec likelihood, string? outputName,
        PredictorOptions? options = null)
    {
        options ??= new PredictorOptions();
        if (options.Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(options), "Parallelism must be at least 1.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        if (options.ResidentDrawBudgetBytes < 0) throw new ArgumentOutOfRangeException(nameof(options), "ResidentDrawBudgetBytes must not be negative.");
        if (options.ResidentDrawsPerSession < 1) throw new ArgumentOutOfRangeException(nameof(options), "ResidentDrawsPerSession must be at least 1.");
        var graph = PredictionGraph.Build(model, layout, likelihood, outputName);
        using var sessionOptions = SessionOptionsFor(options);
        InferenceSession session;
        try
        {
            ExternalDataFolder.Apply(sessionOptions, graph.Proto, model.BaseDirectory, model.SourcePath);
            session = new InferenceSession(graph.ToBytes(), sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFormatException(model.SourcePath, "ONNX Runtime rejected the prediction graph: " + e.Message, e);
        }
        return new PosteriorPredictor(model, graph, session, layout, likelihood, options);
    }

    /// <summary>
    /// Builds sessions holding the draws of <paramref name="draws"/> (weights as constants, <see cref="PredictorOptions.ResidentDrawsPerSession"/>
    /// draws per session) when the estimated memory fits
    /// <see cref="PredictorOptions.ResidentDrawBudgetBytes"/> and the model has no external data; later
    /// <see cref="Predict"/> calls with this same draw source use them. Returns whether they were built.
    /// Call once, before serving.
    /// </summary>
    public bool UseResidentDraws(IDrawSource draws)
    {
        CheckDraws(draws);
        if (_resident is not null) throw new InvalidOperationException("Resident draws are already set.");
        if (_graph.HasExternalData || draws.Count * ResidentDrawSessions.BytesPerDraw(Dimension) > _options.ResidentDrawBudgetBytes) return false;
        try
        {
            _resident = ResidentDrawSessions.Create(_graph, draws, DrawsPerSession(draws.Count), _options.BatchResidentDraws, _logSigmaOffset,
                () => SessionOptionsFor(_options));
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFormatException(Model.SourcePath, "ONNX Runtime rejected the prediction graph with a draw's weights: " + e.Message, e);
        }
        return true;
    }

    /// <summary>
    /// Predicts for <paramref name="inputs"/> (one array per data input, same first dimension N) under every draw of
    /// <paramref name="draws"/>. <paramref name="regressionTargets"/> (optional, one per output value) adds the log
    /// predictive density of each target to regression results.
    /// </summary>
    public PredictionResult Predict(IReadOnlyDictionary<string, NpyArray> inputs, IDrawSource draws, double[]? regressionTargets = null)
    {
        CheckDraws(draws);
        var data = DensityData.FromArrays(inputs, "request").Prepare(Model, new LikelihoodSpec(LikelihoodKind.Output, OutputName: OutputName));
        var rows = data.Count;
        if (rows == 0) throw new DataMismatchException("request", DataInputs.FirstOrDefault()?.Name ?? "*", "has no rows.");
        IDrawRunner runner = _resident is { } resident && ReferenceEquals(resident.Draws, draws) ? resident : _shared;

        // Inputs are wrapped once per call, one OrtValue per input and row chunk, and shared read-only by the draws.
        var chunks = new List<OrtValue[]>();
        try
        {
            for (long first = 0; first < rows; first += _options.BatchSize)
            {
                var count = Math.Min(_options.BatchSize, rows - first);
                chunks.Add(DataInputs.Select(d => OrtTensors.WrapRows(data.Arrays[d.Name].Data, data.Arrays[d.Name].Shape, first, count)).ToArray());
            }
            return Evaluate(runner, draws, chunks, (int)rows, regressionTargets);
        }
        finally
        {
            foreach (var chunk in chunks)
            foreach (var value in chunk)
                value.Dispose();
        }
    }

    /// <summary>
    /// The first block of draws first (it fixes the output length), then the rest in waves whose outputs land in one
    /// buffer, each wave's blocks in parallel, aggregated in draw order while the wave's other blocks still run.
    /// </summary>
    private PredictionResult Evaluate(IDrawRunner runner, IDrawSource draws, List<OrtValue[]> chunks, int rows, double[]? regressionTargets)
    {
        var m = draws.Count;
        var block = runner.BlockSize;
        var firstBlock = Math.Min(block, m);
        var firstOutputs = new float[firstBlock, chunks.Count][];
        var firstLogSigmas = new float[firstBlock];
        long[] shape = [];
        runner.Run(draws, 0, chunks, (d, c, value, logSigma) =>
        {
            firstOutputs[d, c] = value.GetTensorDataAsSpan<float>().ToArray();
            firstLogSigmas[d] = logSigma;
            if (d == 0 && c == 0) shape = value.GetTensorTypeAndShape().Shape;
        });
        var offsets = new int[chunks.Count];
        var chunkLengths = new int[chunks.Count];
        var length = 0;
        for (var c = 0; c < chunks.Count; c++)
        {
            offsets[c] = length;
            chunkLengths[c] = firstOutputs[0, c].Length;
            length = checked(length + chunkLengths[c]);
        }
        // The row chunks are concatenated along the batch axis.
        if (shape.Length > 0) shape[0] = length / Math.Max(1, shape.Skip(1).Aggregate(1L, (a, d) => a * d));

        // Waves hold whole blocks: at least one block per parallel worker, at most what the buffer allows.
        var wave = _options.KeepPerDrawOutputs ? m
            : (int)Math.Clamp(_options.WaveBufferFloats / Math.Max(1, length) / block * block, Math.Min(_options.Parallelism * block, m), m);
        wave = Math.Max(wave, firstBlock);
        var buffer = new float[checked((long)wave * length)];
        var logSigmas = new float[wave];
        var waveStart = 0;

        void Store(int draw, int chunk, ReadOnlySpan<float> values, float logSigma)
        {
            if (values.Length != chunkLengths[chunk])
                throw new OnnxRayException($"Draw {draw} gave {values.Length} outputs for row chunk {chunk}; draw 0 gave {chunkLengths[chunk]}.");
            var slot = draw - waveStart;
            values.CopyTo(buffer.AsSpan(slot * length + offsets[chunk], values.Length));
            logSigmas[slot] = logSigma;
        }

        for (var d = 0; d < firstBlock; d++)
        for (var c = 0; c < chunks.Count; c++)
            Store(d, c, firstOutputs[d, c], firstLogSigmas[d]);
        var aggregate = PredictionAggregate.Create(Task, shape, length, regressionTargets);
        var inOrder = new InOrderAggregation(wave, k => aggregate.Add(buffer.AsSpan(k * length, length), Sigma(logSigmas[k])));

        void RunBlock(int first)
        {
            runner.Run(draws, first, chunks, (d, c, value, logSigma) => Store(d, c, value.GetTensorDataAsSpan<float>(), logSigma));
            for (var d = first; d < Math.Min(first + block, m); d++) inOrder.Finished(d - waveStart);
        }

        for (; waveStart < m; waveStart += wave)
        {
            var count = Math.Min(wave, m - waveStart);
            var from = waveStart == 0 ? firstBlock : 0; // the first block is already in its slots
            inOrder.Start(count, from);
            var blocks = (count - from + block - 1) / block;
            var start = waveStart + from;
            if (_options.Parallelism == 1 || blocks < 2)
                for (var b = 0; b < blocks; b++) RunBlock(start + b * block);
            else
                Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism }, b => RunBlock(start + b * block));
            inOrder.Drain();
        }
        return aggregate.Result(rows, m, _options.KeepPerDrawOutputs ? buffer : null);
    }

    /// <summary>Draws per resident session: as many as configured, but at least one session per parallel worker.</summary>
    private int DrawsPerSession(int drawCount) =>
        _graph.CanGroupDraws ? Math.Clamp((drawCount + _options.Parallelism - 1) / _options.Parallelism, 1, _options.ResidentDrawsPerSession) : 1;

    private double Sigma(float logSigma) => _likelihood.Kind switch
    {
        LikelihoodKind.GaussianFixed => _likelihood.Sigma,
        LikelihoodKind.GaussianLearned => Math.Exp(logSigma),
        _ => double.NaN,
    };

    private void CheckDraws(IDrawSource draws)
    {
        if (draws.Count == 0) throw new OnnxRayException("No posterior draws to predict with.");
        if (draws.Dimension != Dimension)
            throw new OnnxRayException($"The draws have D = {draws.Dimension} but the model's parameter layout has D = {Dimension}.");
    }

    private static SessionOptions SessionOptionsFor(PredictorOptions options)
    {
        var sessionOptions = GraphSession.CreateSessionOptions(new OrtLogDensityOptions { IntraOpThreads = options.IntraOpThreads, Device = options.Device });
        sessionOptions.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        return sessionOptions;
    }

    public void Dispose()
    {
        _resident?.Dispose();
        _shared.Dispose();
        _session.Dispose();
    }
}
