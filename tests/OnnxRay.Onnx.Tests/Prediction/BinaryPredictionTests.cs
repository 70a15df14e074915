using OnnxRay.Onnx.Prediction;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>A bernoulli model's logits z aggregate as the two-class distribution [1 − σ(z), σ(z)].</summary>
public class BinaryPredictionTests
{
    [Fact]
    public void LogitsAggregateAsSigmoidProbabilitiesWithExactTails()
    {
        float[][] draws = [[0f, 2f, 40f], [1f, -3f, 44f]];
        var aggregate = PredictionAggregate.Create(PredictionTask.Binary, [3], 3, null);
        foreach (var z in draws) aggregate.Add(z, double.NaN);
        var result = aggregate.Result(3, draws.Length, null).Classification!;
        for (var i = 0; i < 3; i++)
        {
            var p = draws.Average(z => 1 / (1 + Math.Exp(-z[i])));
            Assert.Equal(p, result.Probabilities[2 * i + 1], 1e-15);
            // ln(1 − σ(z)) = −z − ln(1 + e^−z): exact even where 1 − σ(z) rounds to 0 (z = 40, 44)
            var logComplement = Math.Log(draws.Average(z => Math.Exp(-z[i] - Math.Log(1 + Math.Exp(-z[i])))));
            Assert.Equal(logComplement, result.LogPredictiveDensity(i, 0), 1e-12 * Math.Max(1, Math.Abs(logComplement)));
        }
        Assert.Equal(1, result.PredictedClass[2]);
    }
}
