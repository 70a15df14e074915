namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Welford running mean and variance of every coordinate, for the trajectory-length rule L = √(Σ_i Var x_i).
/// Stored in float: 8 bytes per parameter, enough for a few hundred warm-up draws, and affordable at network scale.
/// </summary>
internal sealed class PositionMoments(int dimension)
{
    private readonly float[] _mean = new float[dimension];
    private readonly float[] _m2 = new float[dimension];

    public long Count { get; private set; }

    public void Add(ReadOnlySpan<float> x)
    {
        Count++;
        var inv = 1.0f / Count;
        for (var i = 0; i < _mean.Length; i++)
        {
            var delta = x[i] - _mean[i];
            _mean[i] += delta * inv;
            _m2[i] += delta * (x[i] - _mean[i]);
        }
    }

    /// <summary>Σ_i Var x_i (unbiased), NaN with fewer than two draws.</summary>
    public double TotalVariance()
    {
        if (Count < 2) return double.NaN;
        double sum = 0;
        foreach (var m in _m2) sum += m;
        return sum / (Count - 1);
    }

    public void Save(BinaryWriter w)
    {
        w.Write(Count);
        PhaseSpace.WriteFloats(w, _mean);
        PhaseSpace.WriteFloats(w, _m2);
    }

    public void Restore(BinaryReader r)
    {
        Count = r.ReadInt64();
        PhaseSpace.ReadFloats(r, _mean);
        PhaseSpace.ReadFloats(r, _m2);
    }
}
