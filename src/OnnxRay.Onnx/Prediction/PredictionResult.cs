using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Onnx.Prediction;

/// <summary>The posterior predictive of a batch of inputs: aggregates for the task, and optionally every draw's output.</summary>
public sealed record PredictionResult(
    PredictionTask Task,
    int Examples,
    int Draws,
    long[] OutputShape,
    ClassificationPrediction? Classification,
    RegressionPrediction? Regression,
    float[]? PerDrawOutputs);
