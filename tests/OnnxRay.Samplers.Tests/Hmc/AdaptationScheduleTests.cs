using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc.Adaptation;

namespace OnnxRay.Samplers.Tests.Hmc;

public class AdaptationScheduleTests
{
    [Fact]
    public void SlowWindowsFor1000WarmupStepsMatchStan()
    {
        var windows = WindowedAdaptationSchedule.SlowWindows(1000);
        Assert.Equal([(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)], windows);
    }

    [Fact]
    public void SlowWindowSizesFor2000WarmupStepsMatchStan()
    {
        var sizes = WindowedAdaptationSchedule.SlowWindows(2000).Select(w => w.End - w.Start);
        Assert.Equal([25, 50, 100, 200, 400, 1100], sizes);
        Assert.Equal(1950, WindowedAdaptationSchedule.SlowWindows(2000)[^1].End);
    }

    [Fact]
    public void ShortWarmupFallsBackToFifteenSeventyFiveTenPercent()
    {
        var schedule = new WindowedAdaptationSchedule(100);
        Assert.Equal((15, 75, 10), (schedule.InitBuffer, schedule.BaseWindow, schedule.TermBuffer));
        Assert.Equal([(15, 90)], WindowedAdaptationSchedule.SlowWindows(100));
    }

    [Fact]
    public void NoMetricAdaptationBelowTwentyWarmupSteps()
    {
        Assert.False(new WindowedAdaptationSchedule(19).Enabled);
        Assert.Empty(WindowedAdaptationSchedule.SlowWindows(19));
        Assert.NotEmpty(WindowedAdaptationSchedule.SlowWindows(20));
    }

    [Theory]
    [InlineData(0.3, 10)]
    [InlineData(2.5, 25)]
    [InlineData(1.0, 400)]
    public void RegularisedVarianceShrinksTowardsOneThousandth(double variance, long n)
    {
        var expected = n / (n + 5.0) * variance + 1e-3 * 5.0 / (n + 5.0);
        Assert.Equal(expected, WindowedVarianceAdaptation.Regularize(variance, n), 15);
    }

    [Fact]
    public void WindowEndReturnsTheRegularisedVarianceOfTheWindowDraws()
    {
        // Warm-up 100 → one slow window [15, 90); feed known draws and compare with a direct computation.
        var adaptation = new WindowedVarianceAdaptation(new WindowedAdaptationSchedule(100), 2);
        var random = new ChainRandom(8);
        var inWindow = new List<float[]>();
        var result = new double[2];
        var updates = 0;
        for (var step = 0; step < 100; step++)
        {
            float[] draw = [(float)(3 * random.NextGaussian()), (float)(0.1 * random.NextGaussian() + 5)];
            if (step is >= 15 and < 90) inWindow.Add(draw);
            if (adaptation.Observe(draw, result))
            {
                updates++;
                Assert.Equal(89, step);
            }
        }
        Assert.Equal(1, updates);
        var n = inWindow.Count;
        Assert.Equal(75, n);
        for (var i = 0; i < 2; i++)
        {
            var mean = inWindow.Average(d => (double)d[i]);
            var variance = inWindow.Sum(d => (d[i] - mean) * (d[i] - mean)) / (n - 1);
            Assert.Equal(WindowedVarianceAdaptation.Regularize(variance, n), result[i], 9);
        }
    }

    [Fact]
    public void DualAveragingFollowsStanRecursion()
    {
        // Hand-computed first two iterations from ε₀ = 1: μ = log 10, δ = 0.8.
        var da = new DualAveragingStepSize(0.8);
        da.Restart(1.0);
        var eps1 = da.Learn(0.5);
        var hbar1 = (0.8 - 0.5) / 11.0;
        Assert.Equal(Math.Exp(Math.Log(10) - hbar1 * 1 / 0.05), eps1, 12);
        var eps2 = da.Learn(1.2); // clipped to 1
        var hbar2 = (1 - 1.0 / 12) * hbar1 + (0.8 - 1.0) / 12;
        var x2 = Math.Log(10) - hbar2 * Math.Sqrt(2) / 0.05;
        Assert.Equal(Math.Exp(x2), eps2, 12);
        var w2 = Math.Pow(2, -0.75);
        Assert.Equal(w2 * x2 + (1 - w2) * Math.Log(eps1), da.LogAverageStepSize, 12);
    }
}
