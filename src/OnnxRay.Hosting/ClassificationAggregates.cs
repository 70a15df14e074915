using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Hosting;

/// <summary>
/// Classification aggregates per example (entropies in nats); <see cref="Probabilities"/> is row-major
/// [examples × classes].
/// </summary>
public sealed record ClassificationAggregates(
    int Examples,
    int Classes,
    double[] Probabilities,
    int[] PredictedClass,
    double[] Confidence,
    double[] PredictiveEntropy,
    double[] ExpectedEntropy,
    double[] MutualInformation)
{
    /// <summary>p̄(·|x) of one example.</summary>
    public ReadOnlySpan<double> ProbabilitiesOf(int example) => Probabilities.AsSpan(example * Classes, Classes);

    public static ClassificationAggregates From(ClassificationPrediction c) => new(
        c.Examples, c.Classes, c.Probabilities, c.PredictedClass, c.Confidence, c.PredictiveEntropy, c.ExpectedEntropy, c.MutualInformation);
}
