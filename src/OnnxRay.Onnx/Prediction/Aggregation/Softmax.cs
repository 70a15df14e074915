namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>Numerically stable softmax over one row of logits.</summary>
public static class Softmax
{
    /// <summary>ln softmax(logits) = logits − logsumexp(logits), written to <paramref name="destination"/>.</summary>
    public static void Log(ReadOnlySpan<double> logits, Span<double> destination)
    {
        var lse = LogSumExp.Of(logits);
        for (var i = 0; i < logits.Length; i++) destination[i] = logits[i] - lse;
    }

    /// <summary>softmax(logits) written to <paramref name="destination"/>.</summary>
    public static void Probabilities(ReadOnlySpan<double> logits, Span<double> destination)
    {
        Log(logits, destination);
        for (var i = 0; i < logits.Length; i++) destination[i] = Math.Exp(destination[i]);
    }
}
