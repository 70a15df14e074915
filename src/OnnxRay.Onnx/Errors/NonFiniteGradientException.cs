namespace OnnxRay.Onnx.Errors;

/// <summary>The log density or its gradient came out NaN/∞ where a finite value was required; names the parameter tensor.</summary>
public sealed class NonFiniteGradientException(string detail) : OnnxRayException(detail);
