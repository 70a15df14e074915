using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>Calibration and comparison metrics against hand-computed values.</summary>
public class PredictiveMetricsTests
{
    // three examples, three classes
    private static readonly double[] Probabilities = [0.7, 0.2, 0.1, 0.1, 0.5, 0.4, 1.0 / 3, 1.0 / 3, 1.0 / 3];
    private static readonly int[] Labels = [0, 2, 1];

    [Fact]
    public void BrierSumsOverClasses()
    {
        var expected = ((0.3 * 0.3 + 0.04 + 0.01) + (0.01 + 0.25 + 0.36) + (1.0 / 9 + 4.0 / 9 + 1.0 / 9)) / 3;
        Assert.Equal(expected, PredictiveMetrics.Brier(Probabilities, 3, Labels), 14);
    }

    [Fact]
    public void EceUsesRightClosedEqualWidthBins()
    {
        // confidences 0.7, 0.5, 1/3; correct: yes, no (pred 1 vs 2), no (pred 0 vs 1). With M = 2:
        // bin (0, 0.5] holds 0.5 and 1/3 → acc 0, conf 5/12; bin (0.5, 1] holds 0.7 → acc 1, conf 0.7
        var bins = PredictiveMetrics.Calibration(Probabilities, 3, Labels, bins: 2);
        Assert.Equal(2, bins.BinCount);
        Assert.Equal([2, 1], bins.Counts);
        Assert.Equal(5.0 / 12, bins.MeanConfidence[0], 14);
        Assert.Equal(0.0, bins.Accuracy[0]);
        Assert.Equal(1.0, bins.Accuracy[1]);
        Assert.Equal(2.0 / 3 * 5.0 / 12 + 1.0 / 3 * 0.3, bins.ExpectedCalibrationError, 14);
        // confidence exactly 0.5 belongs to the first bin (right-closed), and M = 15 is the default
        Assert.Equal(15, PredictiveMetrics.Calibration(Probabilities, 3, Labels).BinCount);
        var third = PredictiveMetrics.Calibration([0.5, 0.5], 2, [0], bins: 2);
        Assert.Equal([1, 0], third.Counts);
    }

    [Fact]
    public void PerfectlyCalibratedConfidentPredictionsHaveZeroEce()
    {
        Assert.Equal(0, PredictiveMetrics.ExpectedCalibrationError([1.0, 0.0, 0.0, 1.0], 2, [0, 1]), 15);
    }

    [Fact]
    public void AccuracyNllAndRmse()
    {
        Assert.Equal(0.5, PredictiveMetrics.Accuracy([0, 1, 2, 2], [0, 1, 0, 1]));
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.4) + Math.Log(1.0 / 3)) / 3,
            PredictiveMetrics.NegativeLogLikelihood([Math.Log(0.7), Math.Log(0.4), Math.Log(1.0 / 3)]), 14);
        Assert.Equal(Math.Sqrt((1 + 4) / 2.0), PredictiveMetrics.Rmse([1.0, 2.0], [0.0, 4.0]), 14);
    }

    [Fact]
    public void AgreementAndTotalVariationAgainstAReference()
    {
        double[] reference = [0.6, 0.3, 0.1, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3];
        // argmax: (0 vs 0), (1 vs 2), (0 vs 1)
        Assert.Equal(1.0 / 3, PredictiveMetrics.Agreement(Probabilities, reference, 3), 14);
        // per-example ½·Σ|Δ|: ½(0.1 + 0.1 + 0), ½(0 + 0.2 + 0.2), ½(2/15 + 1/6 + 1/30)
        var tv = (0.5 * 0.2 + 0.5 * 0.4 + 0.5 * (2.0 / 15 + 1.0 / 6 + 1.0 / 30)) / 3;
        Assert.Equal(tv, PredictiveMetrics.TotalVariation(Probabilities, reference, 3), 14);
        Assert.Equal(0.0, PredictiveMetrics.TotalVariation(reference, reference, 3));
    }

    [Fact]
    public void WassersteinOneIsTheMeanSortedDifference()
    {
        // sorted (1, 2, 3) vs (0, 3, 4)
        Assert.Equal((1 + 1 + 1) / 3.0, PredictiveMetrics.Wasserstein1([3.0, 1.0, 2.0], [0.0, 4.0, 3.0]), 14);
        Assert.Equal((1 + 1 + 5) / 3.0, PredictiveMetrics.Wasserstein1([3.0, 1.0, 2.0], [0.0, 8.0, 3.0]), 14);
        // a shift by c moves every sorted value by c
        Assert.Equal(2.5, PredictiveMetrics.Wasserstein1([1.0, 5.0, -2.0, 0.0], [3.5, 7.5, 0.5, 2.5]), 14);
        Assert.Throws<ArgumentException>(() => PredictiveMetrics.Wasserstein1([1.0], [1.0, 2.0]));
    }
}
