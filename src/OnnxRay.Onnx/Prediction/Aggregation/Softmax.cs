namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>Numerically stable softmax over one row of logits.</summary>
public static class Softmax
{
    /// <summary>softmax(logits) written to <paramref name="destination"/>.</summary>
    public static void Probabilities(ReadOnlySpan<double> logits, Span<double> destination)
    {
        var max = Max(logits);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++) sum += destination[i] = Math.Exp(logits[i] - max);
        for (var i = 0; i < logits.Length; i++) destination[i] /= sum;
    }

    private static double Max(ReadOnlySpan<double> values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values) if (v > max) max = v;
        return max;
    }
}
