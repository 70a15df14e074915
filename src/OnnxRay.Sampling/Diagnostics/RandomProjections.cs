using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// A fixed, seeded set of K random unit directions u_k in θ-space (D dimensions). Projecting every draw,
/// y_k = u_k·θ, gives K scalar series on which R̂ and τ can be computed for a high-dimensional θ without keeping
/// per-coordinate diagnostics. Memory: K·D floats for the directions.
/// </summary>
public sealed class RandomProjections
{
    private readonly float[] _directions; // [K][D], each row of unit length

    /// <summary>Draws <paramref name="count"/> directions uniformly on the unit sphere, reproducibly from <paramref name="seed"/>.</summary>
    public RandomProjections(int dimension, int count, ulong seed)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "must be positive");
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "must be positive");
        Dimension = dimension;
        Count = count;
        Seed = seed;
        _directions = new float[checked(dimension * count)];
        var random = new ChainRandom(seed);
        var row = new double[dimension];
        for (var k = 0; k < count; k++)
        {
            // Gaussian vector / its norm is uniform on the sphere.
            random.FillGaussian(row);
            var norm = 0.0;
            foreach (var v in row) norm += v * v;
            norm = Math.Sqrt(norm);
            var target = _directions.AsSpan(k * dimension, dimension);
            for (var i = 0; i < dimension; i++) target[i] = (float)(row[i] / norm);
        }
    }

    /// <summary>D, the length of θ.</summary>
    public int Dimension { get; }

    /// <summary>K, the number of directions.</summary>
    public int Count { get; }

    /// <summary>The seed the directions were drawn from.</summary>
    public ulong Seed { get; }

    /// <summary>Direction k (unit length up to float rounding).</summary>
    public ReadOnlySpan<float> Direction(int k) => _directions.AsSpan(k * Dimension, Dimension);

    /// <summary>Writes u_k·θ for k = 0..K−1 into <paramref name="destination"/>; dot products accumulate in double.</summary>
    public void Project(ReadOnlySpan<float> draw, Span<double> destination)
    {
        if (draw.Length != Dimension) throw new ArgumentException($"draw has {draw.Length} values, expected {Dimension}", nameof(draw));
        if (destination.Length < Count) throw new ArgumentException($"destination needs {Count} values", nameof(destination));
        for (var k = 0; k < Count; k++)
        {
            var u = Direction(k);
            var sum = 0.0;
            for (var i = 0; i < Dimension; i++) sum += (double)u[i] * draw[i];
            destination[k] = sum;
        }
    }

    /// <summary>
    /// Projects consecutive draws stored row after row (<paramref name="rows"/>.Length = n·D) and returns the series
    /// shaped [K][n]: one series per direction, ready to be one chain of a [chains][draws] array.
    /// </summary>
    public double[][] ProjectRows(ReadOnlySpan<float> rows)
    {
        if (rows.Length % Dimension != 0) throw new ArgumentException($"length {rows.Length} is not a multiple of D = {Dimension}", nameof(rows));
        var n = rows.Length / Dimension;
        var series = new double[Count][];
        for (var k = 0; k < Count; k++) series[k] = new double[n];
        Span<double> buffer = Count <= 256 ? stackalloc double[Count] : new double[Count];
        for (var d = 0; d < n; d++)
        {
            Project(rows.Slice(d * Dimension, Dimension), buffer);
            for (var k = 0; k < Count; k++) series[k][d] = buffer[k];
        }
        return series;
    }
}
