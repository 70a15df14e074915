namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// Confidence histogram behind the expected calibration error: M equal-width bins on [0, 1], right-closed
/// ((b/M, (b+1)/M], with confidence 0 in the first bin). Empty bins have NaN confidence and accuracy.
/// </summary>
/// <param name="BinCount">M, the number of bins (record it with the ECE).</param>
/// <param name="Counts">Examples per bin.</param>
/// <param name="MeanConfidence">Mean confidence max_c p̄ per bin.</param>
/// <param name="Accuracy">Fraction correct per bin.</param>
/// <param name="ExpectedCalibrationError">ECE = Σ_b (|B_b|/N)·|acc(B_b) − conf(B_b)|.</param>
public sealed record ReliabilityBins(int BinCount, int[] Counts, double[] MeanConfidence, double[] Accuracy, double ExpectedCalibrationError)
{
    /// <summary>Lower edge of bin b (exclusive except for bin 0).</summary>
    public double LowerEdge(int bin) => (double)bin / BinCount;

    /// <summary>Upper edge of bin b (inclusive).</summary>
    public double UpperEdge(int bin) => (double)(bin + 1) / BinCount;

    /// <summary>Total number of examples.</summary>
    public int Total => Counts.Sum();
}
