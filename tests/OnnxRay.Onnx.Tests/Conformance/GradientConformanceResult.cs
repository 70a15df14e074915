namespace OnnxRay.Onnx.Tests.Conformance;

/// <summary>How one model fared in the gradient conformance suite.</summary>
public enum GradientConformanceStatus
{
    /// <summary>Every sampled coordinate matched central differences (or the kink fallback).</summary>
    Pass,
    /// <summary>The model has no parameters to differentiate (or no float output): counted apart, never as a pass.</summary>
    NoParameters,
    Fail,
}

/// <summary>Outcome of one model: status, the measured errors and, for failures, the reason.</summary>
public sealed record GradientConformanceResult(
    string Model,
    GradientConformanceStatus Status,
    string Detail,
    int Parameters = 0,
    int Coordinates = 0,
    int KinkFallbacks = 0,
    double MaxRelativeError = 0,
    double ForwardRelativeError = 0);
