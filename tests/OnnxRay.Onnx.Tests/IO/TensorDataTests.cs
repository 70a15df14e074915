using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.TestSupport;
using OnnxRay.Testing;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Tests.ModelIO;

public sealed class TensorDataTests
{
    private static TensorProto Typed(DataType type, params long[] dims)
    {
        var t = new TensorProto { Name = "t", DataType = (int)type };
        t.Dims.AddRange(dims);
        return t;
    }

    [Fact]
    public void Floats_RawDataAndFloatData_ReadTheSame()
    {
        float[] values = [1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f];
        var raw = TensorData.FromFloats("t", [2, 3], values);
        var typed = Typed(DataType.Float, 2, 3);
        typed.FloatData.AddRange(values);

        Assert.Equal(values, TensorData.ReadFloats(null, raw));
        Assert.Equal(values, TensorData.ReadFloats(null, typed));
        Assert.Equal(raw.RawData.ToByteArray(), TensorData.ReadRawBytes(null, typed));
    }

    [Fact]
    public void Floats_ReadIntoCallerSpan_AtAnOffsetOfALargerBuffer()
    {
        var tensor = TensorData.FromFloats("w", [3], [7f, 8f, 9f]);
        var theta = new float[6];
        TensorData.ReadFloats(null, tensor, theta.AsSpan(2, 3));
        Assert.Equal([0f, 0f, 7f, 8f, 9f, 0f], theta);
        Assert.Throws<ArgumentException>(() => TensorData.ReadFloats(null, tensor, theta.AsSpan(0, 4)));
    }

    [Fact]
    public void Int64s_RawAndTyped_ReadTheSame()
    {
        long[] values = [long.MinValue, -1, 0, 1, long.MaxValue];
        var typed = Typed(DataType.Int64, 5);
        typed.Int64Data.AddRange(values);
        Assert.Equal(values, TensorData.ReadInt64s(null, TensorData.FromInt64s("t", [5], values)));
        Assert.Equal(values, TensorData.ReadInt64s(null, typed));
    }

    [Fact]
    public void Int32s_FromSmallerIntegerTypes_AreWidened()
    {
        var int8 = Typed(DataType.Int8, 3);
        int8.RawData = ByteString.CopyFrom(0xFF, 0x7F, 0x80);
        Assert.Equal([-1, 127, -128], TensorData.ReadInt32s(null, int8));
        var uint16 = Typed(DataType.Uint16, 2);
        uint16.Int32Data.AddRange([65535, 3]);
        Assert.Equal([65535, 3], TensorData.ReadInt32s(null, uint16));
    }

    [Fact]
    public void Int32s_OverflowingInt64_IsAFormatError()
    {
        var t = TensorData.FromInt64s("big", [1], [1L << 40]);
        var error = Assert.Throws<OnnxFormatException>(() => TensorData.ReadInt32s(null, t));
        Assert.Contains("'big'", error.Message);
    }

    [Fact]
    public void Doubles_TypedAndRaw_ConvertToFloat()
    {
        double[] values = [0.1, -1e10, 2.5];
        var typed = Typed(DataType.Double, 3);
        typed.DoubleData.AddRange(values);
        var raw = TensorData.FromDoubles("t", [3], values);
        Assert.Equal(values.Select(v => (float)v), TensorData.ReadFloats(null, typed));
        Assert.Equal(values.Select(v => (float)v), TensorData.ReadFloats(null, raw));
        Assert.Equal(values, TensorData.ReadDoubles(null, raw));
    }

    [Fact]
    public void Float16_InInt32DataAndRawData_ConvertToFloat()
    {
        Half[] halves = [(Half)1.5f, (Half)(-0.000061035156f), Half.MaxValue, Half.NegativeInfinity];
        var typed = Typed(DataType.Float16, 4);
        typed.Int32Data.AddRange(halves.Select(h => (int)BitConverter.HalfToUInt16Bits(h)));
        var raw = Typed(DataType.Float16, 4);
        raw.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(halves.AsSpan()));
        var expected = halves.Select(h => (float)h).ToArray();
        Assert.Equal(expected, TensorData.ReadFloats(null, typed));
        Assert.Equal(expected, TensorData.ReadFloats(null, raw));
    }

    [Fact]
    public void BFloat16_InInt32DataAndRawData_ConvertToFloat()
    {
        float[] exact = [1f, -2.5f, 3.140625f, 1e30f];
        var bits = exact.Select(f => (ushort)(BitConverter.SingleToInt32Bits(f) >> 16)).ToArray();
        var expected = bits.Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray();
        var typed = Typed(DataType.Bfloat16, 4);
        typed.Int32Data.AddRange(bits.Select(b => (int)b));
        var raw = Typed(DataType.Bfloat16, 4);
        raw.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(bits.AsSpan()));
        Assert.Equal(expected, TensorData.ReadFloats(null, typed));
        Assert.Equal(expected, TensorData.ReadFloats(null, raw));
        Assert.Equal(-2.5f, TensorData.ReadFloats(null, typed)[1]);
    }

    [Fact]
    public void Bools_RawAndTyped()
    {
        var raw = TensorData.FromBools("b", [3], [true, false, true]);
        var typed = Typed(DataType.Bool, 3);
        typed.Int32Data.AddRange([1, 0, 1]);
        Assert.Equal([true, false, true], TensorData.ReadBools(null, raw));
        Assert.Equal([true, false, true], TensorData.ReadBools(null, typed));
    }

    [Fact]
    public void Scalar_HasOneElement()
    {
        var scalar = TensorData.ScalarFloat("s", 4f);
        Assert.Empty(scalar.Dims);
        Assert.Equal(1, TensorData.ElementCount(scalar));
        Assert.Equal([4f], TensorData.ReadFloats(null, scalar));
    }

    [Fact]
    public void DataShorterThanDims_IsAFormatErrorNamingTheTensor()
    {
        var t = Typed(DataType.Float, 2, 2);
        t.Name = "short";
        t.FloatData.AddRange([1f, 2f, 3f]);
        var error = Assert.Throws<OnnxFormatException>(() => TensorData.ReadFloats(null, t));
        Assert.Contains("'short'", error.Message);
        Assert.Contains("float_data holds 3 values", error.Message);
    }

    [Fact]
    public void WrongElementType_IsAFormatError()
    {
        var t = TensorData.FromInt64s("ids", [2], [1, 2]);
        Assert.Throws<OnnxFormatException>(() => TensorData.ReadFloats(null, t));
    }

    [Fact]
    public void Builders_RejectDimsThatDisagreeWithTheValues() =>
        Assert.Throws<ArgumentException>(() => TensorData.FromFloats("x", [2, 2], [1f, 2f, 3f]));

    [Fact]
    public void ReadTensorFile_GarbageAndTruncation_AreFormatErrors()
    {
        using var folder = new TempFolder();
        var good = TensorData.FromFloats("x", [4, 4], Enumerable.Range(0, 16).Select(i => (float)i).ToArray()).ToByteArray();
        var truncated = folder.File("truncated.pb");
        File.WriteAllBytes(truncated, good[..(good.Length - 5)]);
        var error = Assert.Throws<OnnxFormatException>(() => TensorData.ReadTensorFile(truncated));
        Assert.Contains(truncated, error.Message);

        var garbage = folder.File("garbage.pb");
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(1, 200)];
            random.NextBytes(bytes);
            File.WriteAllBytes(garbage, bytes);
            Assert.Throws<OnnxFormatException>(() => TensorData.ReadTensorFile(garbage));
        }
    }

    [SkippableFact]
    public void ReadTensorFile_DebianTestData_ConvInput()
    {
        Skip.If(RepositoryPaths.OnnxTestData is null, "libonnx-testdata is not installed (apt-get install libonnx-testdata)");
        var path = Path.Combine(RepositoryPaths.OnnxTestData!, "pytorch-converted", "test_Conv2d", "test_data_set_0", "input_0.pb");
        var tensor = TensorData.ReadTensorFile(path);
        Assert.Equal((int)DataType.Float, tensor.DataType);
        var values = TensorData.ReadFloats(null, tensor);
        Assert.Equal(TensorData.ElementCount(tensor), values.Length);
        Assert.Contains(values, v => v != 0f);
    }
}
