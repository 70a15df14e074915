using OnnxRay.Onnx.Prediction;

namespace OnnxRay.Hosting;

/// <summary>
/// The posterior predictive of a batch of examples: the aggregates of the task (exactly those <c>onnxray predict</c>
/// writes), and every draw's raw output when <see cref="OnnxRayPosteriorOptions.KeepPerDrawOutputs"/> is set.
/// </summary>
/// <param name="Task">How the outputs were aggregated.</param>
/// <param name="Examples">Number of examples N (rows of the inputs).</param>
/// <param name="Draws">Number of posterior draws M aggregated.</param>
/// <param name="OutputShape">Shape of one draw's output for the whole batch (first axis N).</param>
/// <param name="Classification">Set for classification and binary tasks.</param>
/// <param name="Regression">Set for regression.</param>
/// <param name="PerDrawOutputs">M × (outputs of the batch) floats in draw order, or null.</param>
public sealed record PosteriorPrediction(
    PredictionTask Task,
    int Examples,
    int Draws,
    long[] OutputShape,
    ClassificationAggregates? Classification,
    RegressionAggregates? Regression,
    float[]? PerDrawOutputs)
{
    /// <summary>Output values per example (1 for a scalar regression output, K for K-class probabilities).</summary>
    public int ValuesPerExample => Classification is { } c ? c.Classes
        : Regression is { } r && Examples > 0 ? r.Mean.Length / Examples : 1;

    /// <summary>Summarises a predictor result the way the predict command does.</summary>
    public static PosteriorPrediction From(PredictionResult result) => new(
        result.Task,
        result.Examples,
        result.Draws,
        result.OutputShape,
        result.Classification is { } c ? ClassificationAggregates.From(c) : null,
        result.Regression is { } r ? RegressionAggregates.From(r) : null,
        result.PerDrawOutputs);
}
