namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Row-major flat ⇄ multi-index conversions for the C# references.</summary>
public static class MultiIndex
{
    public static long Count(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    public static long[] Unflatten(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--) { index[i] = flat % shape[i]; flat /= shape[i]; }
        return index;
    }

    public static long Flatten(long[] index, long[] shape)
    {
        long flat = 0;
        for (int i = 0; i < shape.Length; i++) flat = flat * shape[i] + index[i];
        return flat;
    }
}
