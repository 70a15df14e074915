namespace OnnxRay.Sampling.Storage;

/// <summary>A run folder (or one of its files) is missing, corrupt or inconsistent. <see cref="FilePath"/> names the file at fault.</summary>
public sealed class RunFolderException(string filePath, string message, Exception? inner = null)
    : OnnxRay.Onnx.Errors.OnnxRayException($"{filePath}: {message}", inner)
{
    /// <summary>The file (or folder) at fault.</summary>
    public string FilePath { get; } = filePath;
}
