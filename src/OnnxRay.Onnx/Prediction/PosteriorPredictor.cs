using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction.Aggregation;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Turns posterior draws of θ into predictions: one ORT session of the forward graph in which every sampled weight
/// tensor is a graph input, bound without copying to its slice of a worker's θ buffer. Draws are evaluated in
/// parallel by pooled workers (no θ-sized allocation per request) and aggregated in draw order, so results do not
/// depend on the parallelism. Thread-safe: concurrent <see cref="Predict"/> calls share the session.
/// </summary>
public sealed class PosteriorPredictor : IDisposable
{
    private const string CastSuffix = "__onnxray_theta";
    private readonly OnnxModel _model;
    private readonly InferenceSession _session;
    private readonly string[] _outputNames;
    private readonly ParameterLayout _layout;
    private readonly LikelihoodSpec _likelihood;
    private readonly PredictorOptions _options;
    private readonly string[] _parameterInputs;
    private readonly ConcurrentBag<PredictorWorker> _workers = new();
    private readonly int _logSigmaOffset = -1;

    private PosteriorPredictor(OnnxModel model, InferenceSession session, ParameterLayout layout, LikelihoodSpec likelihood, PredictorOptions options,
        string[] parameterInputs, IReadOnlyList<ModelInput> dataInputs, string outputName)
    {
        _model = model;
        _session = session;
        _outputNames = [outputName];
        _layout = layout;
        _likelihood = likelihood;
        _options = options;
        _parameterInputs = parameterInputs;
        DataInputs = dataInputs;
        OutputName = outputName;
        Task = PredictionTasks.For(likelihood);
        if (likelihood.Kind == LikelihoodKind.GaussianLearned) _logSigmaOffset = layout[LikelihoodSpec.LogSigmaParameter].Offset;
    }

    /// <summary>The (normalised) model the predictions come from.</summary>
    public OnnxModel Model => _model;

    /// <summary>The model's data inputs (name, element type, dimensions; 0 = dynamic).</summary>
    public IReadOnlyList<ModelInput> DataInputs { get; }

    /// <summary>The model output the predictions are read from.</summary>
    public string OutputName { get; }

    /// <summary>How outputs are aggregated.</summary>
    public PredictionTask Task { get; }

    /// <summary>Length D of the draws this predictor accepts.</summary>
    public int Dimension => _layout.Dimension;

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
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var output = outputName ?? likelihood.OutputName ?? graph.Output.FirstOrDefault()?.Name
                     ?? throw new OnnxFormatException(model.SourcePath, "the model has no outputs.");
        var outputInfo = graph.Output.FirstOrDefault(o => o.Name == output)
                         ?? throw new OnnxRayException($"{model.SourcePath}: --output '{output}' is not a model output (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}).");
        graph.Output.Clear();
        graph.Output.Add(outputInfo);

        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        for (var i = graph.Input.Count - 1; i >= 0; i--)
            if (initializers.ContainsKey(graph.Input[i].Name)) graph.Input.RemoveAt(i);
        var dataInputs = graph.Input.Select(ModelInput.From).ToList();

        // Every sampled initializer becomes a float32 input (with a Cast where the model stores another float type).
        var parameterInputs = new List<string>();
        var casts = new List<NodeProto>();
        foreach (var t in layout.Tensors.Where(t => t.IsInitializer))
        {
            var init = initializers[t.Name];
            graph.Initializer.Remove(init);
            var inputName = t.ElementType == OnnxType.Float ? t.Name : t.Name + CastSuffix;
            graph.Input.Add(ThetaRewriter.TensorInput(inputName, OnnxType.Float, t.Shape));
            parameterInputs.Add(inputName);
            if (inputName != t.Name)
            {
                var cast = new NodeProto { OpType = "Cast", Name = "onnxray_cast_" + t.Name };
                cast.Input.Add(inputName);
                cast.Output.Add(t.Name);
                cast.Attribute.Add(Attr.Int("to", t.ElementType));
                casts.Add(cast);
            }
        }
        for (var i = casts.Count - 1; i >= 0; i--) graph.Node.Insert(0, casts[i]);

        var sessionOptions = GraphSession.CreateSessionOptions(new OrtLogDensityOptions { IntraOpThreads = options.IntraOpThreads, Device = options.Device });
        sessionOptions.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        InferenceSession session;
        try
        {
            ExternalDataFolder.Apply(sessionOptions, proto, model.BaseDirectory, model.SourcePath);
            session = new InferenceSession(ModelBytes(proto), sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFormatException(model.SourcePath, "ONNX Runtime rejected the prediction graph: " + e.Message, e);
        }
        finally
        {
            sessionOptions.Dispose();
        }
        return new PosteriorPredictor(model, session, layout, likelihood, options, parameterInputs.ToArray(), dataInputs, output);
    }

    /// <summary>
    /// Predicts for <paramref name="inputs"/> (one array per data input, same first dimension N) under every draw of
    /// <paramref name="draws"/>. <paramref name="regressionTargets"/> (optional, one per output value) adds the log
    /// predictive density of each target to regression results.
    /// </summary>
    public PredictionResult Predict(IReadOnlyDictionary<string, NpyArray> inputs, IDrawSource draws, double[]? regressionTargets = null)
    {
        if (draws.Count == 0) throw new OnnxRayException("No posterior draws to predict with.");
        if (draws.Dimension != Dimension)
            throw new OnnxRayException($"The draws have D = {draws.Dimension} but the model's parameter layout has D = {Dimension}.");
        var data = DensityData.FromArrays(inputs, "request").Prepare(_model, new LikelihoodSpec(LikelihoodKind.Output, OutputName: OutputName));
        var rows = data.Count;
        if (rows == 0) throw new DataMismatchException("request", DataInputs.FirstOrDefault()?.Name ?? "*", "has no rows.");

        // Inputs are wrapped once per call, one OrtValue per input and row chunk, and shared read-only by the workers.
        var chunks = new List<OrtValue[]>();
        try
        {
            for (long first = 0; first < rows; first += _options.BatchSize)
            {
                var count = Math.Min(_options.BatchSize, rows - first);
                chunks.Add(DataInputs.Select(d => OrtTensors.WrapRows(data.Arrays[d.Name].Data, data.Arrays[d.Name].Shape, first, count)).ToArray());
            }

            var batch = new DrawOutput[Math.Min(_options.Parallelism, draws.Count)];
            PredictionAggregate? aggregate = null;
            float[]? perDraw = null;
            for (var first = 0; first < draws.Count; first += batch.Length)
            {
                var count = Math.Min(batch.Length, draws.Count - first);
                var start = first;
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism },
                    k => batch[k] = RunDraw(chunks, draws, start + k));
                for (var k = 0; k < count; k++)
                {
                    aggregate ??= PredictionAggregate.Create(Task, batch[k].Shape, batch[k].Values.Length, regressionTargets);
                    if (_options.KeepPerDrawOutputs) perDraw ??= new float[(long)draws.Count * batch[k].Values.Length];
                    aggregate.Add(batch[k]);
                    if (perDraw is not null) batch[k].Values.CopyTo(perDraw.AsSpan((first + k) * batch[k].Values.Length));
                }
            }
            return aggregate!.Result((int)rows, draws.Count, perDraw);
        }
        finally
        {
            foreach (var chunk in chunks)
            foreach (var value in chunk)
                value.Dispose();
        }
    }

    /// <summary>Forward passes of one draw over every row chunk, concatenated.</summary>
    private DrawOutput RunDraw(List<OrtValue[]> chunks, IDrawSource draws, int index)
    {
        if (!_workers.TryTake(out var worker)) worker = new PredictorWorker(_layout, _parameterInputs, DataInputs.Select(d => d.Name).ToArray());
        try
        {
            draws.Read(index, worker.Theta);
            var sigma = _likelihood.Kind switch
            {
                LikelihoodKind.GaussianFixed => _likelihood.Sigma,
                LikelihoodKind.GaussianLearned => Math.Exp(worker.Theta[_logSigmaOffset]),
                _ => double.NaN,
            };
            var parts = new List<float[]>(chunks.Count);
            long[] shape = [];
            foreach (var chunk in chunks)
            {
                worker.BindInputs(chunk);
                using var results = _session.Run(worker.RunOptions, worker.InputNames, worker.InputValues, _outputNames);
                parts.Add(results[0].GetTensorDataAsSpan<float>().ToArray());
                shape = results[0].GetTensorTypeAndShape().Shape;
            }
            var values = parts.Count == 1 ? parts[0] : parts.SelectMany(p => p).ToArray();
            // The row chunks are concatenated along the batch axis.
            if (shape.Length > 0) shape[0] = values.Length / Math.Max(1, shape.Skip(1).Aggregate(1L, (a, d) => a * d));
            return new DrawOutput(values, shape, sigma);
        }
        finally
        {
            _workers.Add(worker);
        }
    }

    private static byte[] ModelBytes(ModelProto proto)
    {
        using var stream = new MemoryStream();
        using (var output = new Google.Protobuf.CodedOutputStream(stream, leaveOpen: true)) proto.WriteTo(output);
        return stream.ToArray();
    }

    public void Dispose()
    {
        while (_workers.TryTake(out var worker)) worker.Dispose();
        _session.Dispose();
    }
}
