namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Direct-sum double-precision Conv and ConvTranspose (N-D, groups, strides, dilations, asymmetric pads).</summary>
public static class ConvReference
{
    /// <summary>y[n, o, j] = b[o] + Σ x[n, g·Cg + c, j·s + t·d − pb] · w[o, c, t].</summary>
    public static TestTensor Conv(TestTensor x, TestTensor w, TestTensor? b, long[] strides, long[] dilations, long[] padsBegin, long[] padsEnd, long group)
    {
        int n = x.Shape.Length - 2;
        long batch = x.Shape[0], cin = x.Shape[1], cout = w.Shape[0], cg = cin / group, og = cout / group;
        var kernel = w.Shape[2..];
        var inSp = x.Shape[2..];
        var outSp = new long[n];
        for (int i = 0; i < n; i++) outSp[i] = (inSp[i] + padsBegin[i] + padsEnd[i] - ((kernel[i] - 1) * dilations[i] + 1)) / strides[i] + 1;
        var y = TestTensor.Zeros([batch, cout, .. outSp]);
        long outCount = MultiIndex.Count(outSp), kCount = MultiIndex.Count(kernel), inCount = MultiIndex.Count(inSp);
        for (long nb = 0; nb < batch; nb++)
            for (long o = 0; o < cout; o++)
                for (long jf = 0; jf < outCount; jf++)
                {
                    var j = MultiIndex.Unflatten(jf, outSp);
                    double sum = b is null ? 0 : b.Values[o];
                    for (long c = 0; c < cg; c++)
                        for (long tf = 0; tf < kCount; tf++)
                        {
                            var t = MultiIndex.Unflatten(tf, kernel);
                            var p = new long[n];
                            bool inside = true;
                            for (int i = 0; i < n; i++) { p[i] = j[i] * strides[i] + t[i] * dilations[i] - padsBegin[i]; inside &= p[i] >= 0 && p[i] < inSp[i]; }
                            if (!inside) continue;
                            long ci = (o / og) * cg + c;
                            sum += x.Values[(nb * cin + ci) * inCount + MultiIndex.Flatten(p, inSp)] * w.Values[(o * cg + c) * kCount + tf];
                        }
                    y.Values[(nb * cout + o) * outCount + jf] = sum;
                }
        return y;
    }

    /// <summary>y[n, g·Og + o, i·s + t·d − pb] += x[n, g·Cg + c, i] · w[g·Cg + c, o, t], for output positions in [0, out).</summary>
    public static TestTensor ConvTranspose(TestTensor x, TestTensor w, TestTensor? b, long[] strides, long[] dilations, long[] padsBegin, long[] outSp, long group)
    {
        int n = x.Shape.Length - 2;
        long batch = x.Shape[0], cin = x.Shape[1], og = w.Shape[1], cout = og * group, cg = cin / group;
        var kernel = w.Shape[2..];
        var inSp = x.Shape[2..];
        var y = TestTensor.Zeros([batch, cout, .. outSp]);
        long outCount = MultiIndex.Count(outSp), kCount = MultiIndex.Count(kernel), inCount = MultiIndex.Count(inSp);
        if (b is not null)
            for (long nb = 0; nb < batch; nb++)
                for (long o = 0; o < cout; o++)
                    for (long jf = 0; jf < outCount; jf++) y.Values[(nb * cout + o) * outCount + jf] = b.Values[o];
        for (long nb = 0; nb < batch; nb++)
            for (long ci = 0; ci < cin; ci++)
                for (long jf = 0; jf < inCount; jf++)
                {
                    var j = MultiIndex.Unflatten(jf, inSp);
                    double xv = x.Values[(nb * cin + ci) * inCount + jf];
                    long g = ci / cg;
                    for (long o = 0; o < og; o++)
                        for (long tf = 0; tf < kCount; tf++)
                        {
                            var t = MultiIndex.Unflatten(tf, kernel);
                            var p = new long[n];
                            bool inside = true;
                            for (int i = 0; i < n; i++) { p[i] = j[i] * strides[i] + t[i] * dilations[i] - padsBegin[i]; inside &= p[i] >= 0 && p[i] < outSp[i]; }
                            if (!inside) continue;
                            y.Values[(nb * cout + g * og + o) * outCount + MultiIndex.Flatten(p, outSp)] += xv * w.Values[(ci * og + o) * kCount + tf];
                        }
                }
        return y;
    }
}
