namespace OnnxRay.Samplers.Hmc.Adaptation;

/// <summary>Per-coordinate running mean and variance (Welford), in double so long windows stay accurate.</summary>
internal sealed class WelfordVarianceEstimator(int dimension)
{
    private readonly double[] _mean = new double[dimension];
    private readonly double[] _sumOfSquaredDeviations = new double[dimension];

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

    /// <summary>Unbiased sample variance (divides by n − 1); needs at least two samples.</summary>
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
        writer.Write("welford");
        writer.Write(Count);
        CheckpointIO.WriteDoubles(writer, _mean);
        CheckpointIO.WriteDoubles(writer, _sumOfSquaredDeviations);
    }

    public void Restore(BinaryReader reader)
    {
        CheckpointIO.ExpectTag(reader, "welford");
        Count = reader.ReadInt64();
        CheckpointIO.ReadDoubles(reader, _mean, "the Welford means");
        CheckpointIO.ReadDoubles(reader, _sumOfSquaredDeviations, "the Welford sums of squares");
    }
}
