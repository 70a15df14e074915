namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>A dense row-major tensor for tests: float data (held in double for references) or int64 data.</summary>
public sealed class TestTensor
{
    public TestTensor(long[] shape, double[] values) { Shape = shape; Values = values; IsInt64 = false; }

    private TestTensor(long[] shape, long[] integers) { Shape = shape; Integers = integers; Values = []; IsInt64 = true; }

    public long[] Shape { get; }
    public double[] Values { get; }
    public long[] Integers { get; } = [];
    public bool IsInt64 { get; }
    public int Count => IsInt64 ? Integers.Length : Values.Length;

    public static TestTensor Int64(long[] shape, params long[] values) => new(shape, values);

    /// <summary>Uniform values in [lo, hi) rounded to float precision, so that references see exactly what ORT sees.</summary>
    public static TestTensor Random(Random rng, long[] shape, double lo = -1, double hi = 1)
    {
        var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return new TestTensor(shape, values);
    }

    public static TestTensor Zeros(params long[] shape) => new(shape, new double[shape.Aggregate(1L, (a, b) => a * b)]);

    public TestTensor WithValues(double[] values) => new(Shape, values);

    public float[] ToFloats() => Values.Select(v => (float)v).ToArray();

    /// <summary>Row-major strides.</summary>
    public long[] Strides()
    {
        var s = new long[Shape.Length];
        long acc = 1;
        for (int i = Shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= Shape[i]; }
        return s;
    }
}
