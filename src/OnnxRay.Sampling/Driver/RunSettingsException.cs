using OnnxRay.Onnx.Errors;

namespace OnnxRay.Sampling.Driver;

/// <summary>An invalid run setting; <see cref="Setting"/> names it (e.g. "chains", "thin").</summary>
public sealed class RunSettingsException(string setting, string message)
    : OnnxRayException($"Invalid run setting '{setting}': {message}")
{
    public string Setting { get; } = setting;
}
