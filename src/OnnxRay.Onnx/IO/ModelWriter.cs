using System.Globalization;
using Google.Protobuf;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// Writes a model and its optional side file atomically: both go to temporary files in the target folder and are
/// renamed into place only after every byte is on disk, so a failure never destroys an existing model.
/// </summary>
internal static class ModelWriter
{
    private const int CopyChunkBytes = 1 << 20;

    public static void Save(OnnxModel model, string path, ModelSaveOptions options)
    {
        if (options.Alignment <= 0) throw new ArgumentException($"ModelSaveOptions.Alignment must be positive, got {options.Alignment}", nameof(options));
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        var fileName = Path.GetFileName(fullPath);
        var sideName = options.ExternalDataFileName ?? fileName + ".data";
        if (sideName.Length == 0 || sideName.IndexOfAny(['/', '\\']) >= 0 || sideName is "." or "..")
            throw new ArgumentException($"ModelSaveOptions.ExternalDataFileName must be a plain file name, got '{sideName}'", nameof(options));
        Directory.CreateDirectory(folder);

        var token = Guid.NewGuid().ToString("N")[..12];
        var tempModel = Path.Combine(folder, $".{fileName}.{token}.tmp");
        var tempSide = Path.Combine(folder, $".{sideName}.{token}.tmp");
        var written = new HashSet<TensorProto>(ReferenceEqualityComparer.Instance);
        try
        {
            var copy = model.Proto.Clone();
            if (options.ExternalDataThresholdBytes is { } threshold && copy.Graph is not null)
                WriteSideFile(model, copy.Graph, threshold, options.Alignment, sideName, tempSide, written);
            // Anything still external (small tensors, attribute tensors, subgraphs) is read into raw_data.
            foreach (var tensor in ModelTensors.All(copy))
                if (ExternalDataResolver.IsExternal(tensor) && !written.Contains(tensor))
                    Inline(model, tensor);

            using (var stream = new FileStream(tempModel, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                copy.WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            if (written.Count > 0) File.Move(tempSide, Path.Combine(folder, sideName), overwrite: true);
            File.Move(tempModel, fullPath, overwrite: true);
        }
        finally
        {
            TryDelete(tempModel);
            TryDelete(tempSide);
        }
    }

    /// <summary>Moves every main-graph initializer of at least <paramref name="threshold"/> bytes to the side file and records which.</summary>
    private static void WriteSideFile(OnnxModel model, GraphProto graph, long threshold, int alignment, string sideName, string tempSide,
        HashSet<TensorProto> written)
    {
        var chosen = graph.Initializer.Where(t => IsExternalizable(t) && TensorElementTypes.ByteCount(t) >= threshold).ToList();
        if (chosen.Count == 0) return;
        using var side = new FileStream(tempSide, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new byte[CopyChunkBytes];
        foreach (var tensor in chosen)
        {
            var padding = (alignment - side.Position % alignment) % alignment;
            for (var i = 0; i < padding; i++) side.WriteByte(0);
            var offset = side.Position;
            var length = TensorElementTypes.ByteCount(tensor);
            var raw = RawTensorBytes.TryOpen(model, tensor);
            if (raw is null)
                side.Write(TensorData.ReadRawBytes(model, tensor)); // typed field: convert to the raw layout
            else
                using (raw)
                {
                    if (raw.Length != length)
                        throw new Errors.OnnxFormatException(model.SourcePath, $"tensor '{tensor.Name}' holds {raw.Length} bytes, expected {length}");
                    while (raw.Remaining > 0)
                    {
                        var n = (int)Math.Min(buffer.Length, raw.Remaining);
                        raw.ReadExactly(buffer.AsSpan(0, n));
                        side.Write(buffer, 0, n);
                    }
                }
            TensorData.ClearData(tensor);
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = sideName });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(CultureInfo.InvariantCulture) });
            written.Add(tensor);
        }
        side.Flush(flushToDisk: true);
    }

    private static bool IsExternalizable(TensorProto tensor) =>
        tensor.DataType != (int)TensorProto.Types.DataType.String && TensorElementTypes.ByteSize(tensor.DataType) > 0;

    private static void Inline(OnnxModel model, TensorProto tensor)
    {
        var raw = TensorData.ReadRawBytes(model, tensor);
        TensorData.ClearData(tensor);
        tensor.RawData = ByteString.CopyFrom(raw);
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { /* a leftover temp file is harmless */ }
    }
}
