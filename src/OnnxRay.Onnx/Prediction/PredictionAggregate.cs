using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Onnx.Prediction;

/// <summary>Feeds per-draw outputs to the streaming aggregator of the prediction task.</summary>
internal sealed class PredictionAggregate
{
    private readonly PredictionTask _task;
    private readonly long[] _outputShape;
    private readonly ClassificationAggregator? _classification;
    private readonly RegressionAggregator? _regression;
    private readonly double[]? _binaryLogits;

    private PredictionAggregate(PredictionTask task, long[] outputShape, ClassificationAggregator? classification, RegressionAggregator? regression)
    {
        _task = task;
        _outputShape = outputShape;
        _classification = classification;
        _regression = regression;
        if (task == PredictionTask.Binary) _binaryLogits = new double[2 * classification!.Examples];
    }

    public static PredictionAggregate Create(PredictionTask task, long[] outputShape, int outputLength, double[]? regressionTargets)
    {
        switch (task)
        {
            case PredictionTask.Classification:
                var classes = (int)(outputShape.Length > 0 ? outputShape[^1] : 1);
                return new(task, outputShape, new ClassificationAggregator(outputLength / classes, classes), null);
            case PredictionTask.Binary:
                return new(task, outputShape, new ClassificationAggregator(outputLength, 2), null);
            default:
                if (regressionTargets is not null && regressionTargets.Length != outputLength)
                    throw new Errors.DataMismatchException("request", "target",
                        $"has {regressionTargets.Length} values but the model predicts {outputLength} outputs.");
                return new(task, outputShape, null, new RegressionAggregator(outputLength, new RegressionAggregatorOptions { Targets = regressionTargets }));
        }
    }

    public void Add(ReadOnlySpan<float> values, double sigma)
    {
        switch (_task)
        {
            case PredictionTask.Classification:
                _classification!.AddLogits(values);
                break;
            case PredictionTask.Binary:
                // One logit z per example: softmax([0, z]) = [1 − σ(z), σ(z)], without the rounding of 1 − σ(z).
                for (var i = 0; i < values.Length; i++) _binaryLogits![2 * i + 1] = values[i];
                _classification!.AddLogits(_binaryLogits!);
                break;
            default:
                _regression!.AddDraw(values, sigma);
                break;
        }
    }

    public PredictionResult Result(int examples, int draws, float[]? perDraw) =>
        new(_task, examples, draws, _outputShape, _classification?.Result(), _regression?.Result(), perDraw);
}
