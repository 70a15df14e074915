namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Double-precision BatchNormalization (inference), InstanceNormalization, Softmax and LogSoftmax.</summary>
public static class NormalizationReference
{
    public static TestTensor BatchNorm(TestTensor x, TestTensor scale, TestTensor bias, TestTensor mean, TestTensor variance, double eps)
    {
        long c = x.Shape[1], inner = MultiIndex.Count(x.Shape[2..]);
        var y = TestTensor.Zeros(x.Shape);
        for (long i = 0; i < x.Count; i++)
        {
            long ch = i / inner % c;
            y.Values[i] = (x.Values[i] - mean.Values[ch]) / Math.Sqrt(variance.Values[ch] + eps) * scale.Values[ch] + bias.Values[ch];
        }
        return y;
    }

    public static TestTensor InstanceNorm(TestTensor x, TestTensor scale, TestTensor bias, double eps)
    {
        long c = x.Shape[1], inner = MultiIndex.Count(x.Shape[2..]), planes = x.Shape[0] * c;
        var y = TestTensor.Zeros(x.Shape);
        for (long pl = 0; pl < planes; pl++)
        {
            var slab = x.Values.AsSpan((int)(pl * inner), (int)inner).ToArray();
            double mu = slab.Average(), variance = slab.Select(v => (v - mu) * (v - mu)).Average();
            for (long i = 0; i < inner; i++)
                y.Values[pl * inner + i] = (slab[i] - mu) / Math.Sqrt(variance + eps) * scale.Values[pl % c] + bias.Values[pl % c];
        }
        return y;
    }

    /// <summary>Softmax (or LogSoftmax) over one axis.</summary>
    public static TestTensor Softmax(TestTensor x, int axis, bool log)
    {
        if (axis < 0) axis += x.Shape.Length;
        long outer = MultiIndex.Count(x.Shape[..axis]), len = x.Shape[axis], inner = MultiIndex.Count(x.Shape[(axis + 1)..]);
        var y = TestTensor.Zeros(x.Shape);
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (long k = 0; k < len; k++) max = Math.Max(max, x.Values[(o * len + k) * inner + i]);
                for (long k = 0; k < len; k++) sum += Math.Exp(x.Values[(o * len + k) * inner + i] - max);
                for (long k = 0; k < len; k++)
                {
                    double z = x.Values[(o * len + k) * inner + i] - max;
                    y.Values[(o * len + k) * inner + i] = log ? z - Math.Log(sum) : Math.Exp(z) / sum;
                }
            }
        return y;
    }
}
