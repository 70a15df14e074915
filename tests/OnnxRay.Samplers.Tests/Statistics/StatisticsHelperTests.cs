using OnnxRay.Abstractions;
using Xunit.Sdk;

namespace OnnxRay.Samplers.Tests.Statistics;

/// <summary>The statistical helpers must accept correct samples and reject wrong ones, or every test using them is void.</summary>
public class StatisticsHelperTests
{
    private static double[] AutoRegressive(int n, double phi, ulong seed)
    {
        // x_t = φ x_{t−1} + √(1−φ²) ξ: unit variance, τ = (1+φ)/(1−φ).
        var random = new ChainRandom(seed);
        var s = new double[n];
        var x = random.NextGaussian();
        var noise = Math.Sqrt(1 - phi * phi);
        for (var t = 0; t < n; t++)
        {
            x = phi * x + noise * random.NextGaussian();
            s[t] = x;
        }
        return s;
    }

    [Fact]
    public void AutocorrelationTimeOfAr1MatchesTheory()
    {
        var series = AutoRegressive(200_000, 0.8, 11);
        var tau = MonteCarloError.IntegratedAutocorrelationTime(series);
        Assert.InRange(tau, 9.0 * 0.85, 9.0 * 1.15);
    }

    [Fact]
    public void BatchMeansAndAutocorrelationAgreeOnAr1()
    {
        var series = AutoRegressive(100_000, 0.9, 5);
        var expected = Math.Sqrt(19.0 / series.Length);
        Assert.InRange(MonteCarloError.StandardErrorFromAutocorrelation(series), 0.8 * expected, 1.2 * expected);
        Assert.InRange(MonteCarloError.StandardErrorFromBatchMeans(series), 0.7 * expected, 1.3 * expected);
    }

    private static DrawRecorder Ar1Draws(int dimension, int chains, int n, double shift)
    {
        var rec = new DrawRecorder(dimension);
        for (var c = 0; c < chains; c++)
        {
            rec.BeginChain();
            var cols = Enumerable.Range(0, dimension).Select(i => AutoRegressive(n, 0.5, (ulong)(100 * c + i + 1))).ToArray();
            var draw = new float[dimension];
            for (var t = 0; t < n; t++)
            {
                for (var i = 0; i < dimension; i++) draw[i] = (float)(cols[i][t] + shift);
                rec.Add(draw);
            }
        }
        return rec;
    }

    [Fact]
    public void CorrectDrawsPass()
    {
        var rec = Ar1Draws(20, 3, 4000, 0);
        MomentAssert.MeansAndSecondMoments(rec, new double[20], Enumerable.Repeat(1.0, 20).ToArray());
    }

    [Fact]
    public void BiasedDrawsFail()
    {
        // A 0.1 shift is ~5σ with 12000 draws at τ = 3 per coordinate; the assertion must notice it.
        var rec = Ar1Draws(20, 3, 4000, 0.1);
        Assert.Throws<XunitException>(() =>
            MomentAssert.MeansAndSecondMoments(rec, new double[20], Enumerable.Repeat(1.0, 20).ToArray()));
    }
}
