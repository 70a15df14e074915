namespace OnnxRay.Abstractions;

/// <summary>
/// Per-coordinate running mean and variance (Welford's algorithm) accumulated in double, so long adaptation windows
/// stay accurate. For sampler authors who adapt a metric or a proposal shape during warm-up; saveable in checkpoints.
/// </summary>
public sealed class RunningVariance(int dimension)
{
    private readonly double[] _mean = new double[dimension];
    private readonly double[] _sumOfSquaredDeviations = new double[dimension];

    /// <summary>Samples added since the last <see cref="Restart"/>.</summary>
    public long Count { get; private set; }

    public void Add(ReadOnlySpan<float> sample)
    {
        Count++;
        var inverseCount = 1.0 / Count;
        for (var i = 0; i < _mean.Length; i++)
        {
            var delta = sample[i] - _mean[i];
            _mean[i] += delta * inverseCount;
            _sumOfSquaredDeviations[i] += delta * (sample[i] - _mean[i]);
        }
    }

    /// <summary>Unbiased sample variance of coordinate <paramref name="i"/> (divides by n − 1; needs two samples).</summary>
    public double Variance(int i) => _sumOfSquaredDeviations[i] / (Count - 1);

    /// <summary>Unbiased sample variance of every coordinate.</summary>
    public void SampleVariance(Span<double> variance)
    {
        if (Count < 2) throw new InvalidOperationException("A sample variance needs at least two samples.");
        var scale = 1.0 / (Count - 1);
        for (var i = 0; i < _mean.Length; i++) variance[i] = _sumOfSquaredDeviations[i] * scale;
    }

    public void Restart()
    {
        Count = 0;
        Array.Clear(_mean);
        Array.Clear(_sumOfSquaredDeviations);
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(Count);
        foreach (var m in _mean) writer.Write(m);
        foreach (var s in _sumOfSquaredDeviations) writer.Write(s);
    }

    public void Restore(BinaryReader reader)
    {
        Count = reader.ReadInt64();
        for (var i = 0; i < _mean.Length; i++) _mean[i] = reader.ReadDouble();
        for (var i = 0; i < _sumOfSquaredDeviations.Length; i++) _sumOfSquaredDeviations[i] = reader.ReadDouble();
    }
}
