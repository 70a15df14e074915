namespace OnnxRay.Onnx.Errors;

/// <summary>An initializer's external data is refused (hostile path, bad offset/length, missing file); names the tensor and location.</summary>
public sealed class ExternalDataException(string modelPath, string tensorName, string location, string problem)
    : OnnxRayException($"{modelPath}: external data of tensor '{tensorName}' at '{location}': {problem}")
{
    public string ModelPath { get; } = modelPath;
    public string TensorName { get; } = tensorName;
    public string Location { get; } = location;
}
