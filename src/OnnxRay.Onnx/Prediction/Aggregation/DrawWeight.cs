namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>Validation of per-draw weights w_s (unnormalised; aggregators divide by Σw).</summary>
internal static class DrawWeight
{
    public static void Validate(double weight)
    {
        if (!(weight >= 0) || !double.IsFinite(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "a draw weight must be finite and non-negative");
    }
}
