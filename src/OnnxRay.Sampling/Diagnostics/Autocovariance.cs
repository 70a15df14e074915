namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Biased sample autocovariance γ̂_t = (1/N)·Σ_{n=0}^{N−1−t} (x_n − x̄)(x_{n+t} − x̄) for t = 0..N−1
/// (Geyer's recommendation, samplers.md §5.2), by FFT with zero padding to a power of two ≥ 2N, or directly for short series.
/// </summary>
public static class Autocovariance
{
    // Below this length the O(N²) sum is cheaper than an FFT and exactly as accurate.
    private const int DirectThreshold = 64;

    /// <summary>γ̂_t for every lag t = 0..N−1.</summary>
    public static double[] Biased(ReadOnlySpan<double> x)
    {
        var n = x.Length;
        var result = new double[n];
        if (n == 0) return result;
        var mean = SampleStatistics.Mean(x);

        if (n <= DirectThreshold)
        {
            for (var t = 0; t < n; t++)
            {
                var sum = 0.0;
                for (var i = 0; i + t < n; i++) sum += (x[i] - mean) * (x[i + t] - mean);
                result[t] = sum / n;
            }
            return result;
        }

        var length = Fft.NextPowerOfTwo(2 * n);
        var re = new double[length];
        var im = new double[length];
        for (var i = 0; i < n; i++) re[i] = x[i] - mean;
        Fft.Forward(re, im);
        // The power spectrum is real and even, so a forward transform equals the inverse up to 1/L.
        for (var k = 0; k < length; k++)
        {
            re[k] = re[k] * re[k] + im[k] * im[k];
            im[k] = 0.0;
        }
        Fft.Forward(re, im);
        var scale = 1.0 / ((double)length * n);
        for (var t = 0; t < n; t++) result[t] = re[t] * scale;
        return result;
    }

    /// <summary>Normalised autocorrelation ρ̂_t = γ̂_t/γ̂_0; all NaN when the series is constant or non-finite.</summary>
    public static double[] Autocorrelation(ReadOnlySpan<double> x)
    {
        var gamma = Biased(x);
        if (gamma.Length == 0) return gamma;
        var g0 = gamma[0];
        for (var t = 0; t < gamma.Length; t++) gamma[t] = g0 > 0 && double.IsFinite(g0) ? gamma[t] / g0 : double.NaN;
        return gamma;
    }
}
