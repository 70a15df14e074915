using OnnxRay.Abstractions;
using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>Streaming regression aggregates against direct computations and Gaussian closed forms.</summary>
public class RegressionAggregatorTests
{
    [Fact]
    public void WeightedWelfordMatchesDirectMoments()
    {
        const int outputs = 4, draws = 40;
        var random = new ChainRandom(23);
        var targets = new[] { 0.3, -1.0, 2.5, 0.0 };
        var aggregator = new RegressionAggregator(outputs, new RegressionAggregatorOptions { Targets = targets });
        var mus = new List<double[]>();
        var sds = new List<double[]>();
        var weights = new List<double>();
        for (var s = 0; s < draws; s++)
        {
            var mu = Enumerable.Range(0, outputs).Select(i => 100.0 + i + random.NextGaussian()).ToArray(); // offset tests Welford stability
            var sd = Enumerable.Range(0, outputs).Select(_ => 0.2 + random.NextDouble()).ToArray();
            var w = random.NextDouble();
            aggregator.AddDraw(mu, sd, w);
            mus.Add(mu); sds.Add(sd); weights.Add(w);
        }
        var result = aggregator.Result();
        var total = weights.Sum();
        for (var i = 0; i < outputs; i++)
        {
            var mean = Enumerable.Range(0, draws).Sum(s => weights[s] * mus[s][i]) / total;
            var epistemic = Enumerable.Range(0, draws).Sum(s => weights[s] * (mus[s][i] - mean) * (mus[s][i] - mean)) / total;
            var aleatoric = Enumerable.Range(0, draws).Sum(s => weights[s] * sds[s][i] * sds[s][i]) / total;
            var density = Enumerable.Range(0, draws).Sum(s =>
                weights[s] / total * Math.Exp(-0.5 * Math.Pow((targets[i] - mus[s][i]) / sds[s][i], 2)) / (sds[s][i] * Math.Sqrt(2 * Math.PI)));
            Assert.Equal(mean, result.Mean[i], 11);
            Assert.Equal(epistemic, result.EpistemicVariance[i], 11);
            Assert.Equal(aleatoric, result.AleatoricVariance[i], 12);
            Assert.Equal(Math.Sqrt(aleatoric + epistemic), result.TotalStd[i], 11);
            // targets far in the tail (y ≈ 0 vs μ ≈ 100): the density underflows, log space does not
            Assert.True(double.IsFinite(result.LogPredictiveDensity![i]));
            if (density > 0) Assert.Equal(Math.Log(density), result.LogPredictiveDensity[i], 8);
            Assert.Equal(result.LogPredictiveDensity[i], result.LogDensity(i, targets[i]), 9);
        }
    }

    /// <summary>The vectorised float fixed-σ path does the general path's arithmetic: equal to the last bit, SIMD tail included.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FloatFixedSigmaPathEqualsTheGeneralPathExactly(bool withTargets)
    {
        const int outputs = 11, draws = 30;
        var random = new ChainRandom(41);
        var targets = Enumerable.Range(0, outputs).Select(i => (double)i).ToArray();
        var options = new RegressionAggregatorOptions { Targets = withTargets ? targets : null };
        var floatPath = new RegressionAggregator(outputs, options);
        var generalPath = new RegressionAggregator(outputs, options);
        for (var s = 0; s < draws; s++)
        {
            var mu = Enumerable.Range(0, outputs).Select(i => (float)(1000 + i + 3 * random.NextGaussian())).ToArray();
            var sd = s < draws / 2 ? 0.5 : 2.0;
            var w = s == 7 ? 0 : 0.1 + random.NextDouble();
            floatPath.AddDraw(mu, sd, w);
            generalPath.AddDraw(mu.Select(v => (double)v).ToArray(), Enumerable.Repeat(sd, outputs).ToArray(), w);
        }
        var (a, b) = (floatPath.Result(), generalPath.Result());
        Assert.Equal(b.Mean, a.Mean);
        Assert.Equal(b.EpistemicVariance, a.EpistemicVariance);
        Assert.Equal(b.AleatoricVariance, a.AleatoricVariance);
        Assert.Equal(b.LogPredictiveDensity, a.LogPredictiveDensity);
        Assert.Equal(b.Quantile(3, 0.9), a.Quantile(3, 0.9));
        Assert.Equal(draws, a.Draws);
    }

    [Fact]
    public void LogDensityMatchesDirectMixtureInTheBulk()
    {
        var aggregator = new RegressionAggregator(1, new RegressionAggregatorOptions { Targets = [0.4] });
        aggregator.AddDraw([0.0], [1.0], 1);
        aggregator.AddDraw([1.0], [0.5], 3);
        var expected = Math.Log(0.25 * Math.Exp(-0.5 * 0.16) / Math.Sqrt(2 * Math.PI)
                                + 0.75 * Math.Exp(-0.5 * 1.44) / (0.5 * Math.Sqrt(2 * Math.PI)));
        Assert.Equal(expected, aggregator.Result().LogPredictiveDensity![0], 13);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.5)]
    [InlineData(0.95)]
    [InlineData(1e-6)]
    public void QuantilesOfASingleGaussianMatchTheInverseCdf(double q)
    {
        var aggregator = new RegressionAggregator(2);
        aggregator.AddDraw([3.0, -2.0], [2.0, 0.01]);
        var result = aggregator.Result();
        Assert.Equal(3.0 + 2.0 * StandardNormal.InverseCdf(q), result.Quantile(0, q), 11);
        Assert.Equal(-2.0 + 0.01 * StandardNormal.InverseCdf(q), result.Quantile(1, q), 12);
    }

    [Fact]
    public void MixtureQuantileInvertsTheMixtureCdf()
    {
        var random = new ChainRandom(8);
        var aggregator = new RegressionAggregator(1);
        for (var s = 0; s < 200; s++) aggregator.AddDraw([5 * random.NextGaussian() + (s % 2 == 0 ? -20 : 20)], 0.3 + random.NextDouble(), 0.5 + random.NextDouble());
        var result = aggregator.Result();
        foreach (var q in new[] { 0.001, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999 })
        {
            var y = result.Quantile(0, q);
            Assert.Equal(q, result.Cdf(0, y), 11);
        }
    }

    [Fact]
    public void CoverageAndPitOfACalibratedPredictive()
    {
        // y_i ~ N(μ_i, 1) and the predictive is exactly N(μ_i, 1): coverage ≈ nominal within binomial MCSE
        const int n = 4000;
        var random = new ChainRandom(99);
        var mu = new double[n];
        var y = new double[n];
        for (var i = 0; i < n; i++) { mu[i] = 3 * random.NextGaussian(); y[i] = mu[i] + random.NextGaussian(); }
        var aggregator = new RegressionAggregator(n);
        aggregator.AddDraw(mu, 1.0);
        var result = aggregator.Result();
        foreach (var (level, coverage) in PredictiveMetrics.StandardCoverage(result, y))
        {
            var mcse = Math.Sqrt(level * (1 - level) / n);
            Assert.InRange(coverage, level - 4 * mcse, level + 4 * mcse);
        }
        var pit = PredictiveMetrics.ProbabilityIntegralTransform(result, y);
        Assert.InRange(pit.Average(), 0.5 - 4 * Math.Sqrt(1.0 / 12 / n), 0.5 + 4 * Math.Sqrt(1.0 / 12 / n));
        // an overconfident predictive under-covers
        var narrow = new RegressionAggregator(n);
        narrow.AddDraw(mu, 0.3);
        Assert.True(PredictiveMetrics.IntervalCoverage(narrow.Result(), y, 0.9) < 0.5);
    }

    [Fact]
    public void ReservoirKeepsAtMostTheCapacityAndFlagsApproximation()
    {
        var aggregator = new RegressionAggregator(1, new RegressionAggregatorOptions { ReservoirCapacity = 50, ReservoirSeed = 4 });
        var random = new ChainRandom(4);
        for (var s = 0; s < 2000; s++) aggregator.AddDraw([random.NextGaussian()], 0.1);
        var result = aggregator.Result();
        Assert.True(result.QuantilesAreApproximate);
        Assert.Equal(2000, result.Draws);
        // the reservoir is a uniform subsample: its median is near 0 (sd of median of 50 draws ≈ 0.18)
        Assert.InRange(result.Quantile(0, 0.5), -0.7, 0.7);

        var full = new RegressionAggregator(1);
        full.AddDraw([1.0], 1.0);
        Assert.False(full.Result().QuantilesAreApproximate);

        var none = new RegressionAggregator(1, new RegressionAggregatorOptions { KeepDrawsForQuantiles = false });
        none.AddDraw([1.0], 1.0);
        Assert.Throws<InvalidOperationException>(() => none.Result().Quantile(0, 0.5));
    }

    [Fact]
    public void BadInputsNameTheOutput()
    {
        var aggregator = new RegressionAggregator(2);
        Assert.Contains("output 1", Assert.Throws<ArgumentException>(() => aggregator.AddDraw([0.0, 1.0], [1.0, 0.0])).Message);
        Assert.Throws<ArgumentException>(() => aggregator.AddDraw([0.0], 1.0));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void A_non_finite_float_draw_is_refused_naming_the_output_and_leaves_the_aggregate_unchanged(float bad)
    {
        var aggregator = new RegressionAggregator(9);
        var draw = Enumerable.Range(0, 9).Select(i => (float)i).ToArray();
        aggregator.AddDraw(draw, 0.5);
        draw[7] = bad;
        Assert.Contains("output 7", Assert.Throws<ArgumentException>(() => aggregator.AddDraw(draw, 0.5)).Message);
        Assert.Equal(1, aggregator.DrawCount);
        Assert.Equal(3.0, aggregator.Result().Mean[3]);
        // The largest finite floats do not trip the check.
        aggregator.AddDraw(Enumerable.Repeat(float.MaxValue, 9).ToArray(), 0.5);
        Assert.Equal(2, aggregator.DrawCount);
    }
}
