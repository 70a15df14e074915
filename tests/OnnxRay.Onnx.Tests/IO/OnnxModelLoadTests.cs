using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.TestSupport;

namespace OnnxRay.Onnx.Tests.ModelIO;

public sealed class OnnxModelLoadTests
{
    [Fact]
    public void Load_ValidModel_ExposesProtoOpsetAndFolder()
    {
        using var folder = new TempFolder();
        var path = folder.File("affine.onnx");
        File.WriteAllBytes(path, TinyModels.AffineModel().ToByteArray());

        var model = OnnxModel.Load(path);

        Assert.Equal(18, model.Opset);
        Assert.Equal(path, model.SourcePath);
        Assert.Equal(folder.Path, model.BaseDirectory);
        Assert.Equal(3, model.Proto.Graph.Node.Count);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsFormatErrorNamingFile()
    {
        using var folder = new TempFolder();
        var bytes = TinyModels.AffineModel().ToByteArray();
        var path = folder.File("truncated.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Load_EmptyFile_ThrowsFormatError()
    {
        using var folder = new TempFolder();
        var path = folder.File("empty.onnx");
        File.WriteAllBytes(path, []);

        var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFormatErrorNamingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "onnxray-does-not-exist-" + Guid.NewGuid() + ".onnx");
        var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Load_RandomGarbage_IsRejectedForEverySeed()
    {
        using var folder = new TempFolder();
        var path = folder.File("garbage.onnx");
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            File.WriteAllBytes(path, bytes);
            var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
            Assert.Contains(path, error.Message);
        }
    }

    [Fact]
    public void Load_ProtobufThatParsesButIsNoModel_IsRejected()
    {
        using var folder = new TempFolder();
        // Field 100 (unknown) as a varint parses fine as a ModelProto but holds no model.
        var path = folder.File("unknown-only.onnx");
        File.WriteAllBytes(path, [0xA0, 0x06, 0x01]);
        var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("ir_version", error.Message);
    }

    [Fact]
    public void Load_ModelWithoutGraph_IsRejected()
    {
        var proto = new ModelProto { IrVersion = 8 };
        proto.OpsetImport.Add(new OperatorSetIdProto { Version = 18 });
        var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(proto.ToByteArray(), null, "no-graph.onnx"));
        Assert.Contains("no-graph.onnx", error.Message);
        Assert.Contains("no graph", error.Message);
    }

    [Fact]
    public void Load_GraphWithoutNodes_IsRejected()
    {
        var proto = TinyModels.AffineModel();
        proto.Graph.Node.Clear();
        proto.Graph.Initializer.Clear();
        var error = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(proto.ToByteArray(), null, "no-nodes.onnx"));
        Assert.Contains("no nodes", error.Message);
    }

    [Fact]
    public void UnknownFields_SurviveLoadAndSave()
    {
        using var folder = new TempFolder();
        var known = TinyModels.AffineModel().ToByteArray();
        // Append field 99 (length-delimited, 5 bytes) to the model and field 77 (varint) inside node 0 via a raw graph rewrite.
        byte[] unknownModelField = [0x9A, 0x06, 0x05, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o'];
        var path = folder.File("unknown.onnx");
        File.WriteAllBytes(path, [.. known, .. unknownModelField]);

        var model = OnnxModel.Load(path);
        var nodeWithUnknown = NodeProto.Parser.ParseFrom([.. model.Proto.Graph.Node[0].ToByteArray(), 0xE8, 0x04, 0x2A]); // field 77 = 42
        model.Proto.Graph.Node[0] = nodeWithUnknown;

        var saved = folder.File("saved.onnx");
        model.Save(saved);
        var reloaded = File.ReadAllBytes(saved);

        Assert.True(ContainsSequence(reloaded, unknownModelField), "model-level unknown field lost");
        Assert.True(ContainsSequence(reloaded, [0xE8, 0x04, 0x2A]), "node-level unknown field lost");
        Assert.True(ContainsSequence(model.ToBytes(), unknownModelField));
        // ORT ignores unknown fields, so the saved model must still run.
        using var session = new InferenceSession(saved, OrtRunner.Options());
        Assert.Single(session.OutputMetadata);
    }

    private static bool ContainsSequence(byte[] haystack, byte[] needle) =>
        haystack.AsSpan().IndexOf(needle) >= 0;
}
