using OnnxRay.Abstractions;
using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>Streaming classification aggregates against direct (non-streaming) computations and closed forms.</summary>
public class ClassificationAggregatorTests
{
    private static double[] RandomLogits(ChainRandom random, int examples, int classes, double scale)
    {
        var logits = new double[examples * classes];
        for (var i = 0; i < logits.Length; i++) logits[i] = scale * random.NextGaussian();
        return logits;
    }

    private static double[] DirectSoftmax(double[] logits, int classes)
    {
        var p = new double[logits.Length];
        for (var n = 0; n < logits.Length / classes; n++)
        {
            var sum = 0.0;
            for (var c = 0; c < classes; c++) sum += Math.Exp(logits[n * classes + c]);
            for (var c = 0; c < classes; c++) p[n * classes + c] = Math.Exp(logits[n * classes + c]) / sum;
        }
        return p;
    }

    private static double Entropy(ReadOnlySpan<double> p)
    {
        var h = 0.0;
        foreach (var v in p) if (v > 0) h -= v * Math.Log(v);
        return h;
    }

    [Fact]
    public void WeightedStreamingMatchesDirectComputation()
    {
        const int examples = 5, classes = 4, draws = 30;
        var random = new ChainRandom(17);
        var aggregator = new ClassificationAggregator(examples, classes);
        var allProbabilities = new List<double[]>();
        var weights = new List<double>();
        for (var s = 0; s < draws; s++)
        {
            var logits = RandomLogits(random, examples, classes, 2.0);
            var w = 0.1 + random.NextDouble();
            if (s % 2 == 0) aggregator.AddLogits(logits, w);
            else aggregator.AddProbabilities(DirectSoftmax(logits, classes), w);
            allProbabilities.Add(DirectSoftmax(logits, classes));
            weights.Add(w);
        }
        var result = aggregator.Result();
        var total = weights.Sum();
        Assert.Equal(draws, result.Draws);
        for (var n = 0; n < examples; n++)
        {
            var mean = new double[classes];
            var expectedEntropy = 0.0;
            for (var s = 0; s < draws; s++)
            {
                var row = allProbabilities[s].AsSpan(n * classes, classes);
                for (var c = 0; c < classes; c++) mean[c] += weights[s] / total * row[c];
                expectedEntropy += weights[s] / total * Entropy(row);
            }
            for (var c = 0; c < classes; c++)
            {
                Assert.Equal(mean[c], result.Probabilities[n * classes + c], 12);
                Assert.Equal(Math.Log(mean[c]), result.LogPredictiveDensity(n, c), 11);
            }
            Assert.Equal(Array.IndexOf(mean, mean.Max()), result.PredictedClass[n]);
            Assert.Equal(Entropy(mean), result.PredictiveEntropy[n], 12);
            Assert.Equal(expectedEntropy, result.ExpectedEntropy[n], 12);
            Assert.Equal(Entropy(mean) - expectedEntropy, result.MutualInformation[n], 11);
            Assert.True(result.MutualInformation[n] > 0);
        }
    }

    [Fact]
    public void MutualInformationIsZeroWhenAllDrawsAgree()
    {
        var random = new ChainRandom(3);
        var logits = RandomLogits(random, 6, 5, 3.0);
        var aggregator = new ClassificationAggregator(6, 5);
        for (var s = 0; s < 50; s++) aggregator.AddLogits(logits, 1 + s);
        var result = aggregator.Result();
        for (var n = 0; n < 6; n++)
        {
            Assert.InRange(result.MutualInformation[n], 0.0, 1e-12);
            Assert.Equal(result.PredictiveEntropy[n], result.ExpectedEntropy[n], 12);
        }
    }

    [Fact]
    public void EntropyOfTheUniformPredictiveIsLnK()
    {
        const int classes = 7;
        var aggregator = new ClassificationAggregator(1, classes);
        aggregator.AddLogits(new double[classes]);
        var result = aggregator.Result();
        Assert.Equal(Math.Log(classes), result.PredictiveEntropy[0], 14);
        Assert.Equal(0, result.MutualInformation[0], 14);

        // two confident draws disagreeing: MI = ln 2 − ~0
        var disagree = new ClassificationAggregator(1, 2);
        disagree.AddLogits([40.0, -40.0]);
        disagree.AddLogits([-40.0, 40.0]);
        Assert.Equal(Math.Log(2), disagree.Result().MutualInformation[0], 12);
    }

    [Fact]
    public void LogSpaceMeanSurvivesUnderflow()
    {
        // p(class 1) = e^-800 in every draw: underflows to 0 in probability space, but ln p̄ is exact
        var aggregator = new ClassificationAggregator(1, 2);
        aggregator.AddLogits([0.0, -800.0], 1);
        aggregator.AddLogits([0.0, -801.0], 3);
        var lpd = aggregator.Result().LogPredictiveDensity(0, 1);
        var expected = Math.Log(0.25 * Math.Exp(1.0) + 0.75) - 801.0; // ln(¼e^-800 + ¾e^-801)
        Assert.Equal(expected, lpd, 10);
    }

    [Fact]
    public void FloatInputsAndBadInputsAreHandled()
    {
        var aggregator = new ClassificationAggregator(2, 3);
        aggregator.AddProbabilities(new float[] { 0.2f, 0.3f, 0.5f, 1f, 0f, 0f });
        var result = aggregator.Result();
        Assert.Equal(2, result.PredictedClass[0]);
        Assert.Equal(0, result.ExpectedEntropy[1], 14); // 0·ln 0 = 0
        var error = Assert.Throws<ArgumentException>(() => aggregator.AddProbabilities(new double[] { 0.2, 0.3, 0.5, -0.1, 1, 0.1 }));
        Assert.Contains("example 1", error.Message);
        Assert.Throws<ArgumentException>(() => aggregator.AddLogits(new double[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => aggregator.AddLogits(new double[6], -1));
        Assert.Throws<InvalidOperationException>(() => new ClassificationAggregator(1, 2).Result());
    }
}
