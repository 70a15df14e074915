using Google.Protobuf;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// An ONNX model in memory together with where it came from (so external tensor data can be found and
/// validated). Loading checks that the file really is a model; saving is atomic and can move large
/// initializers to one side file.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>The parsed model. Callers that change it own the consequences; normalisation returns a new model.</summary>
    public ModelProto Proto { get; }

    /// <summary>The file the model was read from, or the display name given to <see cref="FromBytes"/>; used in error messages.</summary>
    public string SourcePath { get; }

    /// <summary>The folder that external data locations are relative to; null when the model came from bytes without one.</summary>
    public string? BaseDirectory { get; }

    /// <summary>The version of the default (ai.onnx) operator set the model imports.</summary>
    public long Opset => DefaultOpset(Proto);

    /// <summary>
    /// Wraps an already parsed model (e.g. one built in code). The model is validated like a loaded one, and every
    /// external-data reference is checked against the security rules (ExternalDataException) right away.
    /// </summary>
    public OnnxModel(ModelProto proto, string sourcePath, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(proto);
        Validate(proto, sourcePath);
        Proto = proto;
        SourcePath = sourcePath;
        BaseDirectory = baseDirectory is null ? null : Path.GetFullPath(baseDirectory);
        // Fail fast on hostile or broken external data, before any caller starts work with this model.
        foreach (var tensor in ModelTensors.All(proto))
            if (ExternalDataResolver.IsExternal(tensor))
                ExternalDataResolver.Resolve(SourcePath, BaseDirectory, tensor);
    }

    /// <summary>Reads a model file; external data is resolved against the file's folder when tensors are read.</summary>
    public static OnnxModel Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new OnnxFormatException(fullPath, "the model file does not exist");
        ModelProto proto;
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            if (stream.Length == 0) throw new OnnxFormatException(fullPath, "the file is empty, not an ONNX model");
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(fullPath, $"not a valid ONNX model (truncated or corrupt protobuf: {e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxFormatException(fullPath, $"cannot read the file: {e.Message}", e);
        }
        return new OnnxModel(proto, fullPath, Path.GetDirectoryName(fullPath));
    }

    /// <summary>Parses a model from bytes. <paramref name="baseDirectory"/> locates external data (null: none allowed).</summary>
    public static OnnxModel FromBytes(byte[] bytes, string? baseDirectory, string displayName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0) throw new OnnxFormatException(displayName, "the model bytes are empty, not an ONNX model");
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(displayName, $"not a valid ONNX model (truncated or corrupt protobuf: {e.Message})", e);
        }
        return new OnnxModel(proto, displayName, baseDirectory);
    }

    /// <summary>A model that shares this one's origin (for external data) but has a different proto.</summary>
    public OnnxModel WithProto(ModelProto proto) => new(proto, SourcePath, BaseDirectory);

    /// <summary>
    /// Serialises the model. External tensors stay external (their locations are relative to
    /// <see cref="BaseDirectory"/>) unless <paramref name="inlineExternalData"/> reads them into raw_data.
    /// </summary>
    public byte[] ToBytes(bool inlineExternalData = false)
    {
        if (!inlineExternalData || !HasExternalData()) return Proto.ToByteArray();
        var copy = Proto.Clone();
        foreach (var tensor in ModelTensors.All(copy))
            if (ExternalDataResolver.IsExternal(tensor)) InlineInPlace(tensor);
        return copy.ToByteArray();
    }

    /// <summary>True when any tensor of the model keeps its data in a side file.</summary>
    public bool HasExternalData() => ModelTensors.All(Proto).Any(ExternalDataResolver.IsExternal);

    /// <summary>
    /// Writes the model (and, per <paramref name="options"/>, one side file of large initializers) to temporary
    /// files next to <paramref name="path"/> and renames them into place, so a failure leaves existing files intact.
    /// </summary>
    public void Save(string path, ModelSaveOptions? options = null) => ModelWriter.Save(this, path, options ?? new ModelSaveOptions());

    /// <summary>The default-domain opset a model imports (1 when an old model has no opset_import).</summary>
    public static long DefaultOpset(ModelProto proto)
    {
        foreach (var opset in proto.OpsetImport)
            if (IsDefaultDomain(opset.Domain)) return opset.Version;
        return proto.OpsetImport.Count == 0 ? 1 : 0;
    }

    /// <summary>"" and "ai.onnx" both name the default operator domain.</summary>
    public static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";

    public override string ToString() => $"{SourcePath} (IR {Proto.IrVersion}, opset {Opset}, {Proto.Graph.Node.Count} nodes)";

    private void InlineInPlace(TensorProto tensor)
    {
        var raw = TensorData.ReadRawBytes(this, tensor);
        TensorData.ClearData(tensor);
        tensor.RawData = ByteString.CopyFrom(raw);
    }

    /// <summary>Rejects protobufs that parse but are not models (random bytes can parse as a message with unknown fields).</summary>
    private static void Validate(ModelProto proto, string sourcePath)
    {
        if (proto.IrVersion <= 0)
            throw new OnnxFormatException(sourcePath, $"not a valid ONNX model: ir_version is {proto.IrVersion} (must be ≥ 1)");
        if (proto.Graph is null)
            throw new OnnxFormatException(sourcePath, "not a valid ONNX model: it has no graph");
        // A graph may consist of initializers only (e.g. a lone Constant turned into one), but not of nothing.
        if (proto.Graph.Node.Count == 0 && proto.Graph.Initializer.Count == 0)
            throw new OnnxFormatException(sourcePath, "not a valid ONNX model: the graph has no nodes");
        if (proto.Graph.Output.Count == 0)
            throw new OnnxFormatException(sourcePath, "not a valid ONNX model: the graph has no outputs");
        if (proto.IrVersion >= 3 && !proto.OpsetImport.Any(o => IsDefaultDomain(o.Domain)) &&
            proto.Graph.Node.Any(n => IsDefaultDomain(n.Domain)))
            throw new OnnxFormatException(sourcePath, "not a valid ONNX model: it has default-domain nodes but imports no default-domain opset");
        foreach (var opset in proto.OpsetImport)
            if (opset.Version <= 0)
                throw new OnnxFormatException(sourcePath, $"not a valid ONNX model: opset_import '{opset.Domain}' has version {opset.Version}");
        for (var i = 0; i < proto.Graph.Node.Count; i++)
            if (string.IsNullOrEmpty(proto.Graph.Node[i].OpType))
                throw new OnnxFormatException(sourcePath, $"not a valid ONNX model: node {i} ('{proto.Graph.Node[i].Name}') has no op_type");
    }
}
