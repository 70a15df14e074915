namespace OnnxRay.Onnx.Data;

/// <summary>
/// One numpy array in memory: dtype descriptor (e.g. "&lt;f4"), C-order shape, and the elements as a flat typed array
/// (float[], double[], long[], int[], Half[], bool[], byte[] or ushort[]).
/// </summary>
public sealed record NpyArray(string Dtype, long[] Shape, Array Data)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount => NpyFormat.ElementCount(Shape);

    public static NpyArray FromFloats(float[] data, params long[] shape) => new(NpyDtypes.Float32, shape, data);
    public static NpyArray FromDoubles(double[] data, params long[] shape) => new(NpyDtypes.Float64, shape, data);
    public static NpyArray FromInt64s(long[] data, params long[] shape) => new(NpyDtypes.Int64, shape, data);
    public static NpyArray FromInt32s(int[] data, params long[] shape) => new(NpyDtypes.Int32, shape, data);

    /// <summary>A float64 scalar (shape []).</summary>
    public static NpyArray Scalar(double value) => new(NpyDtypes.Float64, [], new[] { value });

    /// <summary>The elements as float32, converting from any numeric dtype.</summary>
    public float[] ToFloats() => Data switch
    {
        float[] f => f,
        double[] d => Array.ConvertAll(d, x => (float)x),
        long[] l => Array.ConvertAll(l, x => (float)x),
        int[] i => Array.ConvertAll(i, x => (float)x),
        Half[] h => Array.ConvertAll(h, x => (float)x),
        bool[] b => Array.ConvertAll(b, x => x ? 1f : 0f),
        byte[] u => Array.ConvertAll(u, x => (float)x),
        ushort[] w => Array.ConvertAll(w, x => (float)x),
        _ => throw new InvalidOperationException($"Unsupported npy element array {Data.GetType().Name}."),
    };

    /// <summary>The elements as float64, converting from any numeric dtype.</summary>
    public double[] ToDoubles() => Data switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, x => (double)x),
        long[] l => Array.ConvertAll(l, x => (double)x),
        int[] i => Array.ConvertAll(i, x => (double)x),
        Half[] h => Array.ConvertAll(h, x => (double)x),
        bool[] b => Array.ConvertAll(b, x => x ? 1.0 : 0.0),
        byte[] u => Array.ConvertAll(u, x => (double)x),
        ushort[] w => Array.ConvertAll(w, x => (double)x),
        _ => throw new InvalidOperationException($"Unsupported npy element array {Data.GetType().Name}."),
    };

    /// <summary>The elements as int64, converting from integer or boolean dtypes (floats are refused: no silent truncation).</summary>
    public long[] ToInt64s() => Data switch
    {
        long[] l => l,
        int[] i => Array.ConvertAll(i, x => (long)x),
        byte[] u => Array.ConvertAll(u, x => (long)x),
        ushort[] w => Array.ConvertAll(w, x => (long)x),
        bool[] b => Array.ConvertAll(b, x => x ? 1L : 0L),
        _ => throw new InvalidOperationException($"Array of dtype {Dtype} cannot be read as int64 without truncation."),
    };

    /// <summary>The scalar value (an array with exactly one element) as a double.</summary>
    public double ScalarValue => ElementCount == 1 ? ToDoubles()[0] : throw new InvalidOperationException($"Array of shape [{string.Join(",", Shape)}] is not a scalar.");
}

/// <summary>The numpy dtype descriptors OnnxRay reads and writes.</summary>
public static class NpyDtypes
{
    public const string Float32 = "<f4";
    public const string Float64 = "<f8";
    public const string Float16 = "<f2";
    public const string Int64 = "<i8";
    public const string Int32 = "<i4";
    public const string Bool = "|b1";
    public const string UInt8 = "|u1";

    /// <summary>Raw 16-bit words, e.g. bfloat16 bit patterns (numpy has no bfloat16 dtype).</summary>
    public const string UInt16 = "<u2";

    /// <summary>Bytes per element of a supported dtype.</summary>
    public static int ItemSize(string dtype) => dtype switch
    {
        Float32 or Int32 => 4,
        Float64 or Int64 => 8,
        Float16 or UInt16 => 2,
        Bool or UInt8 => 1,
        _ => throw new ArgumentException($"Unsupported npy dtype '{dtype}' (supported: <f4 <f8 <f2 <i8 <i4 |b1 |u1 <u2)."),
    };

    /// <summary>Allocates the managed element array for a dtype.</summary>
    internal static Array Allocate(string dtype, int count) => dtype switch
    {
        Float32 => new float[count],
        Float64 => new double[count],
        Float16 => new Half[count],
        Int64 => new long[count],
        Int32 => new int[count],
        Bool => new bool[count],
        UInt8 => new byte[count],
        UInt16 => new ushort[count],
        _ => throw new ArgumentException($"Unsupported npy dtype '{dtype}'."),
    };

    /// <summary>The dtype matching a managed element array.</summary>
    public static string Of(Array data) => data switch
    {
        float[] => Float32,
        double[] => Float64,
        Half[] => Float16,
        long[] => Int64,
        int[] => Int32,
        bool[] => Bool,
        byte[] => UInt8,
        ushort[] => UInt16,
        _ => throw new ArgumentException($"No npy dtype for {data.GetType().Name}."),
    };

    /// <summary>Maps the aliases numpy may write ('=' or '|' byte-order markers) to the canonical descriptor.</summary>
    internal static string Canonical(string descr) => descr switch
    {
        "<f4" or "=f4" => Float32,
        "<f8" or "=f8" => Float64,
        "<f2" or "=f2" => Float16,
        "<i8" or "=i8" => Int64,
        "<i4" or "=i4" => Int32,
        "|b1" or "<b1" or "=b1" or "?" => Bool,
        "|u1" or "<u1" or "=u1" => UInt8,
        "<u2" or "=u2" => UInt16,
        _ => descr,
    };
}
