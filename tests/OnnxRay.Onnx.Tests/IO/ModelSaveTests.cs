using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.TestSupport;

namespace OnnxRay.Onnx.Tests.ModelIO;

public sealed class ModelSaveTests
{
    private static TensorProto Input(int rows = 64, int cols = 32) =>
        TensorData.FromFloats("X", [rows, cols], Enumerable.Range(0, rows * cols).Select(i => MathF.Cos(i)).ToArray());

    [Fact]
    public void ExternalData_WriteReadIdenticalBytes_AlignedRelativeAndLoadableByOrt()
    {
        using var folder = new TempFolder();
        var original = new OnnxModel(TinyModels.AffineModel(), "affine (memory)", null);
        var path = folder.File("affine.onnx");

        original.Save(path, new ModelSaveOptions { ExternalDataThresholdBytes = 1024 });

        var side = folder.File("affine.onnx.data");
        Assert.True(File.Exists(side));
        var saved = OnnxModel.Load(path);
        var byName = saved.Proto.Graph.Initializer.ToDictionary(t => t.Name);
        // A and B (8 KiB each) went out; C (128 bytes) stayed inline.
        Assert.True(ExternalDataResolver.IsExternal(byName["A"]));
        Assert.True(ExternalDataResolver.IsExternal(byName["B"]));
        Assert.False(ExternalDataResolver.IsExternal(byName["C"]));
        foreach (var name in new[] { "A", "B" })
        {
            var entries = byName[name].ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal("affine.onnx.data", entries["location"]);
            Assert.Equal(0, long.Parse(entries["offset"]) % 4096);
            Assert.Equal(original.Proto.Graph.Initializer.Single(t => t.Name == name).RawData.ToByteArray(),
                TensorData.ReadRawBytes(saved, byName[name]));
        }

        // ORT resolves the side file relative to the model when loading by path; outputs match the in-memory original.
        using var fromPath = new InferenceSession(path, OrtRunner.Options());
        using var fromBytes = new InferenceSession(original.ToBytes(), OrtRunner.Options());
        var expected = OrtRunner.Run(fromBytes, [Input()]);
        var actual = OrtRunner.Run(fromPath, [Input()]);
        Assert.Equal(expected[0].RawData, actual[0].RawData);
    }

    [Fact]
    public void ExternalModel_ToBytesInlined_RunsFromBytes_AndResavesInline()
    {
        using var folder = new TempFolder();
        var path = folder.File("m.onnx");
        new OnnxModel(TinyModels.AffineModel(), "m", null).Save(path, ModelSaveOptions.AllExternal);
        var external = OnnxModel.Load(path);
        Assert.True(external.HasExternalData());

        var inlined = external.ToBytes(inlineExternalData: true);
        Assert.False(OnnxModel.FromBytes(inlined, null, "inlined").HasExternalData());
        using var session = new InferenceSession(inlined, OrtRunner.Options());
        using var reference = new InferenceSession(TinyModels.AffineModel().ToByteArray(), OrtRunner.Options());
        Assert.Equal(OrtRunner.Run(reference, [Input()])[0].RawData, OrtRunner.Run(session, [Input()])[0].RawData);

        // Saving the external model elsewhere without a threshold reads the side file and inlines it.
        var copy = folder.File("copy/inline.onnx");
        external.Save(copy);
        var reloaded = OnnxModel.Load(copy);
        Assert.False(reloaded.HasExternalData());
        Assert.Equal(TensorData.ReadFloats(external, external.Proto.Graph.Initializer[0]), TensorData.ReadFloats(reloaded, reloaded.Proto.Graph.Initializer[0]));
    }

    [Fact]
    public void ResaveInPlace_OverItsOwnSideFile_KeepsTheData()
    {
        using var folder = new TempFolder();
        var path = folder.File("m.onnx");
        new OnnxModel(TinyModels.AffineModel(), "m", null).Save(path, ModelSaveOptions.AllExternal);
        var first = OnnxModel.Load(path);
        var expected = first.Proto.Graph.Initializer.Select(t => TensorData.ReadFloats(first, t)).ToList();

        first.Save(path, new ModelSaveOptions { ExternalDataThresholdBytes = 4096 });

        var second = OnnxModel.Load(path);
        Assert.Equal(expected, second.Proto.Graph.Initializer.Select(t => TensorData.ReadFloats(second, t)).ToList());
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
    }

    [Fact]
    public void TypedFieldTensors_AreWrittenInRawLayout()
    {
        using var folder = new TempFolder();
        var proto = TinyModels.AffineModel(4, 4);
        var a = proto.Graph.Initializer[0];
        var values = TensorData.ReadFloats(null, a);
        TensorData.ClearData(a);
        a.FloatData.AddRange(values);
        var path = folder.File("typed.onnx");

        new OnnxModel(proto, "typed", null).Save(path, ModelSaveOptions.AllExternal);

        var saved = OnnxModel.Load(path);
        Assert.Equal(values, TensorData.ReadFloats(saved, saved.Proto.Graph.Initializer[0]));
    }

    [Fact]
    public void FailedSave_LeavesTheExistingFileIntactAndNoTempFiles()
    {
        using var folder = new TempFolder();
        var path = folder.File("keep.onnx");
        var good = TinyModels.AffineModel().ToByteArray();
        File.WriteAllBytes(path, good);

        // A model whose external tensor disappears after load cannot be saved; the old file must survive.
        var sourceFolder = Path.Combine(folder.Path, "src");
        var sourcePath = Path.Combine(sourceFolder, "m.onnx");
        new OnnxModel(TinyModels.AffineModel(), "m", null).Save(sourcePath, ModelSaveOptions.AllExternal);
        var external = OnnxModel.Load(sourcePath);
        File.Delete(sourcePath + ".data");

        Assert.Throws<ExternalDataException>(() => external.Save(path, ModelSaveOptions.AllExternal));
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(folder.Path, ".*", SearchOption.TopDirectoryOnly));
    }

    [Fact]
    public void SideFileNameWithFolders_IsRejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModel(TinyModels.AffineModel(), "m", null);
        Assert.Throws<ArgumentException>(() => model.Save(folder.File("m.onnx"), new ModelSaveOptions { ExternalDataThresholdBytes = 0, ExternalDataFileName = "../evil.data" }));
    }
}
