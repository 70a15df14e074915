namespace OnnxRay.Onnx.Errors;

/// <summary>The requested device (e.g. cuda:0) is not available in the loaded ONNX Runtime native library.</summary>
public sealed class ExecutionProviderException(string device, string problem) : OnnxRayException($"Device '{device}': {problem}")
{
    public string Device { get; } = device;
}
