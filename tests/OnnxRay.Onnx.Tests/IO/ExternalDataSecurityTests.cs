using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Tests.TestSupport;

namespace OnnxRay.Onnx.Tests.ModelIO;

/// <summary>Every rule of the ONNX external-data security guidance, each with a model that breaks only that rule.</summary>
public sealed class ExternalDataSecurityTests : IDisposable
{
    private readonly TempFolder _root = new();
    private readonly string _modelFolder;
    private readonly string _outside;

    public ExternalDataSecurityTests()
    {
        _modelFolder = Path.Combine(_root.Path, "model");
        _outside = Path.Combine(_root.Path, "outside");
        Directory.CreateDirectory(_modelFolder);
        Directory.CreateDirectory(_outside);
        WriteWeights(Path.Combine(_modelFolder, "w.bin"));
        WriteWeights(Path.Combine(_outside, "secret.bin"));
    }

    public void Dispose() => _root.Dispose();

    private static void WriteWeights(string path) =>
        File.WriteAllBytes(path, MemoryMarshal.AsBytes<float>([1f, 2f, 3f, 4f]).ToArray());

    private ExternalDataException LoadFails(params (string, string)[] entries)
    {
        var path = Path.Combine(_modelFolder, "model.onnx");
        File.WriteAllBytes(path, TinyModels.ExternalWeightModel(entries).ToByteArray());
        var error = Assert.Throws<ExternalDataException>(() => OnnxModel.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("'W'", error.Message);
        Assert.Equal("W", error.TensorName);
        return error;
    }

    [Fact]
    public void ValidReference_Reads()
    {
        var path = Path.Combine(_modelFolder, "model.onnx");
        File.WriteAllBytes(path, TinyModels.ExternalWeightModel(("location", "w.bin"), ("offset", "0"), ("length", "16")).ToByteArray());
        var model = OnnxModel.Load(path);
        Assert.Equal([1f, 2f, 3f, 4f], TensorData.ReadFloats(model, model.Proto.Graph.Initializer[0]));
    }

    [Fact]
    public void AbsolutePath_IsRefused()
    {
        var error = LoadFails(("location", Path.Combine(_outside, "secret.bin")));
        Assert.Contains("absolute", error.Message);
        Assert.Contains("secret.bin", error.Message);
    }

    [Fact]
    public void DotDotSegment_IsRefused()
    {
        var error = LoadFails(("location", "../outside/secret.bin"));
        Assert.Contains("..", error.Message);
        Assert.Equal("../outside/secret.bin", error.Location);
    }

    [Fact]
    public void DotDotInsideFolder_IsRefusedToo()
    {
        Directory.CreateDirectory(Path.Combine(_modelFolder, "sub"));
        var error = LoadFails(("location", "sub/../w.bin"));
        Assert.Contains("'..'", error.Message);
    }

    [SkippableFact]
    public void SymlinkedFolderEscape_IsRefused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "symlink checks are exercised on Linux");
        Directory.CreateSymbolicLink(Path.Combine(_modelFolder, "linked"), _outside);
        var error = LoadFails(("location", "linked/secret.bin"));
        Assert.Contains("escapes the model folder", error.Message);
    }

    [SkippableFact]
    public void FinalComponentSymlink_IsRefused_EvenWhenItPointsInside()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "symlink checks are exercised on Linux");
        File.CreateSymbolicLink(Path.Combine(_modelFolder, "alias.bin"), Path.Combine(_modelFolder, "w.bin"));
        var error = LoadFails(("location", "alias.bin"));
        Assert.Contains("symbolic link", error.Message);
    }

    [SkippableFact]
    public void HardLinkedFile_IsRefused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "hard-link counts are checked through libc on Linux");
        Assert.Equal(0, link(Path.Combine(_outside, "secret.bin"), Path.Combine(_modelFolder, "hard.bin")));
        var error = LoadFails(("location", "hard.bin"));
        Assert.Contains("2 hard links", error.Message);
    }

    [Fact]
    public void UnknownKey_IsRefused()
    {
        var error = LoadFails(("location", "w.bin"), ("basepath", "/etc"));
        Assert.Contains("unknown external_data key 'basepath'", error.Message);
    }

    [Fact]
    public void DuplicateKey_IsRefused()
    {
        var error = LoadFails(("location", "w.bin"), ("offset", "0"), ("offset", "4"));
        Assert.Contains("more than once", error.Message);
    }

    [Fact]
    public void MissingLocation_IsRefused()
    {
        var error = LoadFails(("offset", "0"));
        Assert.Contains("location", error.Message);
    }

    [Fact]
    public void NegativeOffset_IsRefused() =>
        Assert.Contains("'offset' is negative", LoadFails(("location", "w.bin"), ("offset", "-4")).Message);

    [Fact]
    public void NegativeLength_IsRefused() =>
        Assert.Contains("'length' is negative", LoadFails(("location", "w.bin"), ("length", "-16")).Message);

    [Fact]
    public void NonNumericOffset_IsRefused() =>
        Assert.Contains("not a decimal integer", LoadFails(("location", "w.bin"), ("offset", "0x10")).Message);

    [Fact]
    public void OffsetBeyondFile_IsRefused() =>
        Assert.Contains("beyond the file size 16", LoadFails(("location", "w.bin"), ("offset", "4096")).Message);

    [Fact]
    public void OffsetPlusLengthBeyondFile_IsRefused() =>
        Assert.Contains("beyond the file size", LoadFails(("location", "w.bin"), ("offset", "8"), ("length", "16")).Message);

    [Fact]
    public void WrongLength_IsRefused()
    {
        var error = LoadFails(("location", "w.bin"), ("length", "12"));
        Assert.Contains("length 12 differs from numel × element size = 16", error.Message);
    }

    [Fact]
    public void MissingFile_IsRefused() =>
        Assert.Contains("does not exist", LoadFails(("location", "nope.bin")).Message);

    [Fact]
    public void ModelFromBytesWithoutFolder_CannotUseExternalData()
    {
        var bytes = TinyModels.ExternalWeightModel(("location", "w.bin")).ToByteArray();
        var error = Assert.Throws<ExternalDataException>(() => OnnxModel.FromBytes(bytes, null, "in-memory.onnx"));
        Assert.Contains("in-memory.onnx", error.Message);
        Assert.Contains("base directory", error.Message);
    }

    [Fact]
    public void TensorReadWithoutModel_IsRefused()
    {
        var tensor = TinyModels.ExternalWeightModel(("location", "w.bin")).Graph.Initializer[0];
        Assert.Throws<ExternalDataException>(() => TensorData.ReadFloats(null, tensor));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);
}
