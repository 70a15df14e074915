using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Onnx.Tests.Prediction;

public class LogSumExpTests
{
    [Fact]
    public void StreamingEqualsBatchAndAvoidsOverflow()
    {
        double[] values = [1000.0, 999.0, -5.0, double.NegativeInfinity, 1001.5];
        var acc = new LogSumExpAccumulator();
        foreach (var v in values) acc.Add(v);
        var expected = 1001.5 + Math.Log(Math.Exp(-1.5) + Math.Exp(-2.5) + Math.Exp(-1006.5) + 1);
        Assert.Equal(expected, acc.Value, 12);
        Assert.Equal(expected, LogSumExp.Of(values), 12);
        Assert.Equal(double.NegativeInfinity, new LogSumExpAccumulator().Value);
    }

    [Fact]
    public void SoftmaxIsStableForHugeLogits()
    {
        var p = new double[3];
        Softmax.Probabilities([1e4, 1e4, -1e4], p);
        Assert.Equal(0.5, p[0], 15);
        Assert.Equal(0.5, p[1], 15);
        Assert.Equal(0.0, p[2]);
    }
}
