namespace OnnxRay.Onnx.IO;

/// <summary>
/// A validated pointer to one tensor's bytes in a side file: the canonical file path (inside the model folder),
/// the byte range, and the file identity observed at validation time (re-checked after opening).
/// </summary>
public sealed record ExternalDataReference(
    string ModelPath, string TensorName, string Location, string FullPath, long Offset, long Length)
{
    internal ulong Device { get; init; }
    internal ulong Inode { get; init; }
    internal bool HasIdentity { get; init; }
}
