namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// Test-set metrics of a posterior predictive (samplers.md §6.3). Class probabilities are laid out
/// [examples × classes], row-major.
/// </summary>
public static class PredictiveMetrics
{
    /// <summary>Default number of ECE bins (Guo et al. 2017).</summary>
    public const int DefaultCalibrationBins = 15;

    /// <summary>The Brier convention used by <see cref="Brier"/>.</summary>
    public const string BrierConvention = "sum over classes of (p̄_c − 1[y = c])², averaged over examples; range [0, 2]; not divided by the number of classes";

    /// <summary>NLL = −(1/N)·Σ_i ln p̄(y_i|x_i).</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<double> logPredictiveDensities)
    {
        if (logPredictiveDensities.Length == 0) throw new ArgumentException("no examples", nameof(logPredictiveDensities));
        var sum = 0.0;
        foreach (var v in logPredictiveDensities) sum += v;
        return -sum / logPredictiveDensities.Length;
    }

    /// <summary>Fraction of examples whose predicted class equals the label.</summary>
    public static double Accuracy(ReadOnlySpan<int> predicted, ReadOnlySpan<int> labels)
    {
        SameLength(predicted.Length, labels.Length);
        var correct = 0;
        for (var i = 0; i < labels.Length; i++) if (predicted[i] == labels[i]) correct++;
        return (double)correct / labels.Length;
    }

    /// <summary>Root mean squared error of the predictive mean.</summary>
    public static double Rmse(ReadOnlySpan<double> predictedMean, ReadOnlySpan<double> targets)
    {
        SameLength(predictedMean.Length, targets.Length);
        var sum = 0.0;
        for (var i = 0; i < targets.Length; i++) sum += (predictedMean[i] - targets[i]) * (predictedMean[i] - targets[i]);
        return Math.Sqrt(sum / targets.Length);
    }

    /// <summary>Reliability bins and ECE with M equal-width right-closed bins of the confidence max_c p̄.</summary>
    public static ReliabilityBins Calibration(ReadOnlySpan<double> probabilities, int classes, ReadOnlySpan<int> labels, int bins = DefaultCalibrationBins)
    {
        if (bins <= 0) throw new ArgumentOutOfRangeException(nameof(bins), bins, "must be positive");
        var n = Rows(probabilities.Length, classes, labels.Length);
        var counts = new int[bins];
        var confidenceSum = new double[bins];
        var correctSum = new double[bins];
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            var best = ArgMax(row);
            var confidence = row[best];
            // right-closed: (b/M, (b+1)/M] → b = ⌈conf·M⌉ − 1, with 0 in bin 0
            var bin = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
            counts[bin]++;
            confidenceSum[bin] += confidence;
            if (best == labels[i]) correctSum[bin] += 1;
        }
        var meanConfidence = new double[bins];
        var accuracy = new double[bins];
        var ece = 0.0;
        for (var b = 0; b < bins; b++)
        {
            meanConfidence[b] = counts[b] > 0 ? confidenceSum[b] / counts[b] : double.NaN;
            accuracy[b] = counts[b] > 0 ? correctSum[b] / counts[b] : double.NaN;
            if (counts[b] > 0) ece += (double)counts[b] / n * Math.Abs(accuracy[b] - meanConfidence[b]);
        }
        return new ReliabilityBins(bins, counts, meanConfidence, accuracy, ece);
    }

    /// <summary>ECE alone; see <see cref="Calibration"/>.</summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<double> probabilities, int classes, ReadOnlySpan<int> labels, int bins = DefaultCalibrationBins) =>
        Calibration(probabilities, classes, labels, bins).ExpectedCalibrationError;

    /// <summary>Multiclass Brier score; convention in <see cref="BrierConvention"/>.</summary>
    public static double Brier(ReadOnlySpan<double> probabilities, int classes, ReadOnlySpan<int> labels)
    {
        var n = Rows(probabilities.Length, classes, labels.Length);
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < classes; c++)
            {
                var d = probabilities[i * classes + c] - (labels[i] == c ? 1.0 : 0.0);
                sum += d * d;
            }
        }
        return sum / n;
    }

    /// <summary>Fraction of examples where argmax p̄ equals argmax p^ref.</summary>
    public static double Agreement(ReadOnlySpan<double> probabilities, ReadOnlySpan<double> reference, int classes)
    {
        SameLength(probabilities.Length, reference.Length);
        var n = Rows(probabilities.Length, classes, probabilities.Length / classes);
        var agree = 0;
        for (var i = 0; i < n; i++)
            if (ArgMax(probabilities.Slice(i * classes, classes)) == ArgMax(reference.Slice(i * classes, classes))) agree++;
        return (double)agree / n;
    }

    /// <summary>Mean total variation (1/N)·Σ_i ½·Σ_c |p̄_ic − p^ref_ic|.</summary>
    public static double TotalVariation(ReadOnlySpan<double> probabilities, ReadOnlySpan<double> reference, int classes)
    {
        SameLength(probabilities.Length, reference.Length);
        var n = Rows(probabilities.Length, classes, probabilities.Length / classes);
        var sum = 0.0;
        for (var k = 0; k < probabilities.Length; k++) sum += Math.Abs(probabilities[k] - reference[k]);
        return 0.5 * sum / n;
    }

    /// <summary>1-D Wasserstein-1 distance between two equal-size samples: mean |a₍k₎ − b₍k₎| of the sorted values.</summary>
    public static double Wasserstein1(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        SameLength(a.Length, b.Length);
        if (a.Length == 0) throw new ArgumentException("empty samples");
        var sa = a.ToArray();
        var sb = b.ToArray();
        Array.Sort(sa);
        Array.Sort(sb);
        var sum = 0.0;
        for (var k = 0; k < sa.Length; k++) sum += Math.Abs(sa[k] - sb[k]);
        return sum / sa.Length;
    }

    /// <summary>Fraction of targets inside the central interval [q((1−level)/2), q((1+level)/2)] of each output's predictive.</summary>
    public static double IntervalCoverage(RegressionPrediction prediction, ReadOnlySpan<double> targets, double level)
    {
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "must lie in (0, 1)");
        SameLength(prediction.Outputs, targets.Length);
        var inside = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            var lower = prediction.Quantile(i, (1 - level) / 2);
            var upper = prediction.Quantile(i, (1 + level) / 2);
            if (targets[i] >= lower && targets[i] <= upper) inside++;
        }
        return (double)inside / targets.Length;
    }

    /// <summary>Coverage at the customary nominal levels 50%, 90% and 95%, in that order.</summary>
    public static (double Level, double Coverage)[] StandardCoverage(RegressionPrediction prediction, ReadOnlySpan<double> targets)
    {
        double[] levels = [0.5, 0.9, 0.95];
        var result = new (double, double)[levels.Length];
        for (var k = 0; k < levels.Length; k++) result[k] = (levels[k], IntervalCoverage(prediction, targets, levels[k]));
        return result;
    }

    /// <summary>PIT values F_i(y_i); uniform on [0, 1] for a calibrated predictive.</summary>
    public static double[] ProbabilityIntegralTransform(RegressionPrediction prediction, ReadOnlySpan<double> targets)
    {
        SameLength(prediction.Outputs, targets.Length);
        var result = new double[targets.Length];
        for (var i = 0; i < targets.Length; i++) result[i] = prediction.Cdf(i, targets[i]);
        return result;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        var best = 0;
        for (var c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
        return best;
    }

    private static int Rows(int length, int classes, int labels)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "must be positive");
        if (length != labels * classes)
            throw new ArgumentException($"probabilities hold {length} values, expected examples × classes = {labels} × {classes}");
        if (labels == 0) throw new ArgumentException("no examples");
        return labels;
    }

    private static void SameLength(int a, int b)
    {
        if (a != b) throw new ArgumentException($"lengths differ: {a} vs {b}");
    }
}
