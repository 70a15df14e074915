using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Density;

/// <summary>A density option (--likelihood, --prior, --output, …) is malformed or does not fit the model; names the option.</summary>
public sealed class DensityOptionException(string option, string problem) : OnnxRayException($"{option}: {problem}")
{
    public string Option { get; } = option;
}
