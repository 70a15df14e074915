namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// Gradients of L = Σ seed ⊙ f(inputs) from a double-precision reference f by central differences. The references are
/// exact in double, so for the linear and bilinear ops (Conv, pooling averages, data movement) the difference quotient
/// is exact up to rounding, and for smooth ops a step of 1e-5 leaves ~1e-10 error; MaxPool inputs are random, so
/// no window has a tie within the step.
/// </summary>
public static class ReferenceGradient
{
    public static TestTensor Of(Func<TestTensor[], TestTensor> f, TestTensor[] inputs, int which, TestTensor seed, double step = 1e-5)
    {
        var x = inputs[which];
        var grad = new double[x.Count];
        for (int i = 0; i < x.Count; i++)
        {
            double Loss(double delta)
            {
                var values = (double[])x.Values.Clone();
                values[i] += delta;
                var args = (TestTensor[])inputs.Clone();
                args[which] = x.WithValues(values);
                var y = f(args);
                double sum = 0;
                for (int k = 0; k < y.Count; k++) sum += seed.Values[k] * y.Values[k];
                return sum;
            }
            grad[i] = (Loss(step) - Loss(-step)) / (2 * step);
        }
        return x.WithValues(grad);
    }

    /// <summary>max |actual − expected| / max(|expected|∞, 1e-3); asserts shapes match.</summary>
    public static double RelativeError(TestTensor actual, TestTensor expected)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double scale = Math.Max(1e-3, expected.Values.Select(Math.Abs).DefaultIfEmpty(0).Max());
        double worst = 0;
        for (int i = 0; i < expected.Count; i++) worst = Math.Max(worst, Math.Abs(actual.Values[i] - expected.Values[i]));
        return worst / scale;
    }
}
