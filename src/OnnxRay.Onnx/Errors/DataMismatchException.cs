namespace OnnxRay.Onnx.Errors;

/// <summary>A data array is missing, or has the wrong shape or dtype for the model input (or target) it feeds; names the array.</summary>
public sealed class DataMismatchException(string dataSource, string arrayName, string problem)
    : OnnxRayException($"{dataSource}: array '{arrayName}': {problem}")
{
    public string DataSource { get; } = dataSource;
    public string ArrayName { get; } = arrayName;
}
