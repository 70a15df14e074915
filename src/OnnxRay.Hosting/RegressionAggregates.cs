using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Hosting;

/// <summary>
/// Regression aggregates per output value (examples × values per example, row-major): predictive mean, total,
/// aleatoric and epistemic standard deviations, and the 5 %, 50 % and 95 % quantiles of the predictive mixture.
/// </summary>
public sealed record RegressionAggregates(
    double[] Mean,
    double[] Std,
    double[] AleatoricStd,
    double[] EpistemicStd,
    double[] Q05,
    double[] Q50,
    double[] Q95)
{
    public static RegressionAggregates From(RegressionPrediction r) => new(
        r.Mean,
        r.TotalStd,
        Array.ConvertAll(r.AleatoricVariance, Math.Sqrt),
        Array.ConvertAll(r.EpistemicVariance, Math.Sqrt),
        r.Quantiles(0.05),
        r.Quantiles(0.50),
        r.Quantiles(0.95));
}
