using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Errors;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Data;

public class NpyFormatTests
{
    private static string Fixture(string name) => Path.Combine(RepositoryPaths.Root, "tests", "OnnxRay.Onnx.Tests", "Data", "Fixtures", name);

    [Theory]
    [InlineData("mixed_stored.npz")]
    [InlineData("mixed_deflated.npz")]
    public void Reads_every_dtype_numpy_writes(string file)
    {
        var arrays = NpzFile.Read(Fixture(file));
        Assert.Equal(new long[] { 3, 4 }, arrays["f4"].Shape);
        Assert.Equal("<f4", arrays["f4"].Dtype);
        Assert.Equal(5.5f, ((float[])arrays["f4"].Data)[11]);
        Assert.Equal(new[] { 1.5, -2.25, 1e300 }, (double[])arrays["f8"].Data);
        Assert.Equal(new long[] { -1, 1L << 40 }, (long[])arrays["i8"].Data);
        Assert.Equal(new long[] { 1, 2 }, arrays["i8"].Shape);
        Assert.Equal(new[] { 7, -9 }, (int[])arrays["i4"].Data);
        Assert.Equal(new[] { 0.5f, -1f, 65504f }, arrays["f2"].ToFloats());
        Assert.Equal(new[] { true, false, true }, (bool[])arrays["b1"].Data);
        Assert.Equal(new byte[] { 0, 255, 3 }, (byte[])arrays["u1"].Data);
        Assert.Empty(arrays["scalar"].Shape);
        Assert.Equal(3.25, arrays["scalar"].ScalarValue);
        Assert.Equal(new long[] { 0, 5 }, arrays["empty"].Shape);
        Assert.Empty((float[])arrays["empty"].Data);
    }

    [Fact]
    public void Reads_version_2_header()
    {
        var a = NpyFormat.Read(Fixture("v2_header.npy"));
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, (float[])a.Data);
    }

    [Theory]
    [InlineData("fortran.npy", "Fortran order")]
    [InlineData("bigendian.npy", "'>f4'")]
    public void Refuses_layouts_it_cannot_read_naming_the_file(string file, string expected)
    {
        var e = Assert.Throws<OnnxFormatException>(() => NpyFormat.Read(Fixture(file)));
        Assert.Contains(file, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Truncated_data_is_a_format_error()
    {
        var ms = new MemoryStream();
        NpyFormat.Write(ms, new float[] { 1, 2, 3, 4 }, 4);
        var cut = new MemoryStream(ms.ToArray()[..^3]);
        var e = Assert.Throws<OnnxFormatException>(() => NpyFormat.Read(cut, "cut.npy"));
        Assert.Contains("cut.npy", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Not_npy_is_a_format_error()
    {
        var e = Assert.Throws<OnnxFormatException>(() => NpyFormat.Read(new MemoryStream("hello world, not numpy"u8.ToArray()), "x.npy"));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Header_is_64_byte_aligned_and_streaming_write_round_trips()
    {
        var ms = new MemoryStream();
        long[] shape = [3, 5];
        NpyFormat.WriteHeader(ms, NpyDtypes.Float32, shape);
        Assert.Equal(0, ms.Length % 64);
        Assert.Equal(ms.Length, NpyFormat.HeaderLength(NpyDtypes.Float32, shape));
        for (var row = 0; row < 3; row++)
            NpyFormat.WriteData<float>(ms, Enumerable.Range(0, 5).Select(i => row * 10f + i).ToArray());
        ms.Position = 0;
        var a = NpyFormat.Read(ms);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(14f, ((float[])a.Data)[9]);
        Assert.Equal(24f, ((float[])a.Data)[14]);
    }

    [Fact]
    public void Npz_round_trips_all_dtypes_stored_and_deflated()
    {
        var arrays = new Dictionary<string, NpyArray>
        {
            ["w"] = NpyArray.FromFloats([1.5f, -2f, float.NaN, 4f], 2, 2),
            ["log_density"] = NpyArray.Scalar(-123.456),
            ["ids"] = NpyArray.FromInt64s([3, -1, 7], 3),
            ["i"] = NpyArray.FromInt32s([1], 1, 1, 1),
            ["h"] = new NpyArray(NpyDtypes.Float16, [2], new[] { (Half)1.5f, (Half)(-3f) }),
            ["mask"] = new NpyArray(NpyDtypes.Bool, [2], new[] { false, true }),
            ["bytes"] = new NpyArray(NpyDtypes.UInt8, [1], new byte[] { 200 }),
        };
        foreach (var compress in new[] { false, true })
        {
            var path = Path.Combine(Path.GetTempPath(), $"onnxray-npz-{Guid.NewGuid():N}.npz");
            try
            {
                NpzFile.Write(path, arrays, compress);
                var back = NpzFile.Read(path);
                Assert.Equal(arrays.Keys, back.Keys);
                foreach (var (k, v) in arrays)
                {
                    Assert.Equal(v.Dtype, back[k].Dtype);
                    Assert.Equal(v.Shape, back[k].Shape);
                    Assert.Equal(v.Data, back[k].Data);
                }
            }
            finally { File.Delete(path); }
        }
    }

    [Fact]
    public void Write_rejects_shape_that_does_not_match_the_data()
    {
        Assert.Throws<ArgumentException>(() => NpyFormat.Write(new MemoryStream(), new float[] { 1, 2, 3 }, 2, 2));
    }
}
