namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Double-precision MaxPool, AveragePool and GlobalAveragePool following the ONNX/ORT window rules.</summary>
public static class PoolReference
{
    /// <summary>Output size per axis; under ceil_mode a last window that would start inside the end padding is dropped.</summary>
    public static long[] OutputSize(long[] inSp, long[] kernel, long[] strides, long[] dilations, long[] padsBegin, long[] padsEnd, bool ceilMode)
    {
        var o = new long[inSp.Length];
        for (int i = 0; i < inSp.Length; i++)
        {
            long span = inSp[i] + padsBegin[i] + padsEnd[i] - ((kernel[i] - 1) * dilations[i] + 1);
            o[i] = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1;
            if (ceilMode && (o[i] - 1) * strides[i] >= inSp[i] + padsBegin[i]) o[i]--;
        }
        return o;
    }

    public static TestTensor MaxPool(TestTensor x, long[] kernel, long[] strides, long[] dilations, long[] padsBegin, long[] padsEnd, bool ceilMode) =>
        Pool(x, kernel, strides, dilations, padsBegin, padsEnd, ceilMode, (taps, _) => taps.Max());

    public static TestTensor AveragePool(TestTensor x, long[] kernel, long[] strides, long[] padsBegin, long[] padsEnd, bool ceilMode, bool countIncludePad)
    {
        var ones = Enumerable.Repeat(1L, kernel.Length).ToArray();
        return Pool(x, kernel, strides, ones, padsBegin, padsEnd, ceilMode, (taps, padded) => taps.Sum() / (countIncludePad ? padded : taps.Count));
    }

    /// <summary>Applies <paramref name="reduce"/> to the in-bounds taps of each window (and the count of taps inside [−pb, in+pe)).</summary>
    private static TestTensor Pool(TestTensor x, long[] kernel, long[] strides, long[] dilations, long[] padsBegin, long[] padsEnd, bool ceilMode,
        Func<List<double>, long, double> reduce)
    {
        int n = kernel.Length;
        var inSp = x.Shape[2..];
        var outSp = OutputSize(inSp, kernel, strides, dilations, padsBegin, padsEnd, ceilMode);
        long planes = x.Shape[0] * x.Shape[1];
        var y = TestTensor.Zeros([x.Shape[0], x.Shape[1], .. outSp]);
        long outCount = MultiIndex.Count(outSp), inCount = MultiIndex.Count(inSp), kCount = MultiIndex.Count(kernel);
        var taps = new List<double>();
        for (long pl = 0; pl < planes; pl++)
            for (long jf = 0; jf < outCount; jf++)
            {
                var j = MultiIndex.Unflatten(jf, outSp);
                taps.Clear();
                long padded = 0;
                for (long tf = 0; tf < kCount; tf++)
                {
                    var t = MultiIndex.Unflatten(tf, kernel);
                    var p = new long[n];
                    bool inside = true, insidePadded = true;
                    for (int i = 0; i < n; i++)
                    {
                        p[i] = j[i] * strides[i] + t[i] * dilations[i] - padsBegin[i];
                        inside &= p[i] >= 0 && p[i] < inSp[i];
                        insidePadded &= p[i] >= -padsBegin[i] && p[i] < inSp[i] + padsEnd[i];
                    }
                    if (insidePadded) padded++;
                    if (inside) taps.Add(x.Values[pl * inCount + MultiIndex.Flatten(p, inSp)]);
                }
                y.Values[pl * outCount + jf] = reduce(taps, padded);
            }
        return y;
    }

    public static TestTensor GlobalAveragePool(TestTensor x)
    {
        long planes = x.Shape[0] * x.Shape[1], area = MultiIndex.Count(x.Shape[2..]);
        var y = TestTensor.Zeros([x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1L, x.Shape.Length - 2)]);
        for (long pl = 0; pl < planes; pl++) y.Values[pl] = Enumerable.Range(0, (int)area).Sum(i => x.Values[pl * area + i]) / area;
        return y;
    }
}
