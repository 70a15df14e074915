using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Any draw source through one session whose weights are graph inputs: a pooled worker reads the draw into its θ
/// buffer, whose tensor slices are bound without copying. Costs what ORT charges for weights it cannot pre-pack.
/// </summary>
internal sealed class SharedSessionRunner(InferenceSession session, ParameterLayout layout, PredictionGraph graph, int logSigmaOffset)
    : IDrawRunner
{
    private readonly ConcurrentBag<PredictorWorker> _workers = new();
    private readonly string[] _outputNames = [graph.OutputName];
    private readonly string[] _dataNames = graph.DataInputs.Select(d => d.Name).ToArray();

    /// <summary>One draw at a time: each needs its own θ in a worker's buffer.</summary>
    public int BlockSize => 1;

    public void Run(IDrawSource draws, int first, IReadOnlyList<OrtValue[]> chunks, DrawOutputSink sink)
    {
        if (!_workers.TryTake(out var worker)) worker = new PredictorWorker(layout, graph.ParameterInputs, _dataNames);
        try
        {
            draws.Read(first, worker.Theta);
            var logSigma = logSigmaOffset >= 0 ? worker.Theta[logSigmaOffset] : float.NaN;
            for (var c = 0; c < chunks.Count; c++)
            {
                worker.BindInputs(chunks[c]);
                using var results = session.Run(worker.RunOptions, worker.InputNames, worker.InputValues, _outputNames);
                sink(first, c, results[0], logSigma);
            }
        }
        finally
        {
            _workers.Add(worker);
        }
    }

    /// <summary>Disposes the pooled workers; the session belongs to the predictor.</summary>
    public void Dispose()
    {
        while (_workers.TryTake(out var worker)) worker.Dispose();
    }
}
