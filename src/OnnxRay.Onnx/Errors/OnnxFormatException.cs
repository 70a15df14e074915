namespace OnnxRay.Onnx.Errors;

/// <summary>An ONNX file (or a tensor .pb) is truncated, corrupt, or not a valid model; names the file.</summary>
public sealed class OnnxFormatException(string filePath, string problem, Exception? inner = null)
    : OnnxRayException($"{filePath}: {problem}", inner)
{
    public string FilePath { get; } = filePath;
    public string Problem { get; } = problem;
}
