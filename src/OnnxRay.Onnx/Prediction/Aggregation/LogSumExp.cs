namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// Streaming log-sum-exp: after adding v₁…v_k, <see cref="Value"/> = ln Σ exp(v_i) without overflow or underflow
/// (running maximum plus a rescaled sum). −∞ terms contribute nothing; the empty sum is −∞.
/// </summary>
public struct LogSumExpAccumulator
{
    private double _max;
    private double _scaledSum;
    private bool _any;

    /// <summary>Adds one term exp(<paramref name="logValue"/>).</summary>
    public void Add(double logValue)
    {
        if (double.IsNegativeInfinity(logValue)) return;
        if (!_any)
        {
            _max = logValue;
            _scaledSum = 1.0;
            _any = true;
        }
        else if (logValue <= _max)
        {
            _scaledSum += Math.Exp(logValue - _max);
        }
        else
        {
            _scaledSum = _scaledSum * Math.Exp(_max - logValue) + 1.0;
            _max = logValue;
        }
    }

    /// <summary>ln of the sum so far (−∞ if empty, NaN if a NaN was added).</summary>
    public readonly double Value => _any ? _max + Math.Log(_scaledSum) : double.NegativeInfinity;
}

/// <summary>Log-sum-exp over a span.</summary>
public static class LogSumExp
{
    /// <summary>ln Σ exp(values[i]), stable.</summary>
    public static double Of(ReadOnlySpan<double> values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values) if (v > max || double.IsNaN(v)) max = v;
        if (double.IsNaN(max)) return double.NaN;
        if (double.IsNegativeInfinity(max)) return double.NegativeInfinity;
        if (double.IsPositiveInfinity(max)) return double.PositiveInfinity;
        var sum = 0.0;
        foreach (var v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
