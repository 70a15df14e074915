using Microsoft.Win32.SafeHandles;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// A sequential reader over a tensor's bytes in the raw_data layout, whether they sit in raw_data or in a
/// validated external file (read at an offset, so side files of any size never go through one buffer).
/// </summary>
internal sealed class RawTensorBytes : IDisposable
{
    private readonly ReadOnlyMemory<byte> _inline;
    private readonly SafeFileHandle? _file;
    private readonly long _fileOffset;
    private readonly ExternalDataReference? _reference;
    private long _position;

    public long Length { get; }
    public long Remaining => Length - _position;

    private RawTensorBytes(ReadOnlyMemory<byte> inline, long length)
    {
        _inline = inline;
        Length = length;
    }

    private RawTensorBytes(ExternalDataReference reference)
    {
        _reference = reference;
        _file = ExternalDataResolver.Open(reference);
        _fileOffset = reference.Offset;
        Length = reference.Length;
    }

    /// <summary>The tensor's raw bytes when it has raw_data or external data; null when its data sits in a typed field.</summary>
    public static RawTensorBytes? TryOpen(OnnxModel? model, TensorProto tensor)
    {
        if (ExternalDataResolver.IsExternal(tensor))
        {
            var reference = ExternalDataResolver.Resolve(model?.SourcePath ?? "<no model>", model?.BaseDirectory, tensor);
            return new RawTensorBytes(reference);
        }
        if (!tensor.RawData.IsEmpty) return new RawTensorBytes(tensor.RawData.Memory, tensor.RawData.Length);
        return null;
    }

    /// <summary>Fills the whole destination or throws when the source ends early.</summary>
    public void ReadExactly(Span<byte> destination)
    {
        if (destination.Length > Remaining)
            throw new InvalidOperationException($"asked for {destination.Length} bytes, {Remaining} left");
        if (_file is null)
        {
            _inline.Span.Slice((int)_position, destination.Length).CopyTo(destination);
            _position += destination.Length;
            return;
        }
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(_file, destination, _fileOffset + _position);
            if (read <= 0)
                throw new Errors.ExternalDataException(_reference!.ModelPath, _reference.TensorName, _reference.Location,
                    "the file ended before the declared length (was it truncated after validation?)");
            _position += read;
            destination = destination[read..];
        }
    }

    public void Dispose() => _file?.Dispose();
}
