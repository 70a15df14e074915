namespace OnnxRay.Sampling.Diagnostics;

/// <summary>In-place iterative radix-2 complex FFT (forward, unnormalised) on separate real/imaginary arrays.</summary>
internal static class Fft
{
    /// <summary>Smallest power of two ≥ <paramref name="n"/>.</summary>
    public static int NextPowerOfTwo(int n)
    {
        var p = 1;
        while (p < n) p <<= 1;
        return p;
    }

    /// <summary>X[k] = Σ_j x[j]·exp(−2πi·jk/L); L must be a power of two.</summary>
    public static void Forward(Span<double> re, Span<double> im)
    {
        var length = re.Length;
        if (length != im.Length || (length & (length - 1)) != 0)
            throw new ArgumentException("FFT length must be a power of two and match for both parts");
        if (length < 2) return;

        // Bit-reversal permutation.
        for (int i = 1, j = 0; i < length; i++)
        {
            var bit = length >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }

        // Twiddles computed directly (not by repeated multiplication) to keep rounding error at O(ε log L).
        var half = length / 2;
        var cos = new double[half];
        var sin = new double[half];
        for (var k = 0; k < half; k++)
        {
            (sin[k], cos[k]) = Math.SinCos(-2.0 * Math.PI * k / length);
        }

        for (var size = 2; size <= length; size <<= 1)
        {
            var halfSize = size >> 1;
            var stride = length / size;
            for (var start = 0; start < length; start += size)
            {
                for (var k = 0; k < halfSize; k++)
                {
                    var wr = cos[k * stride];
                    var wi = sin[k * stride];
                    var a = start + k;
                    var b = a + halfSize;
                    var tr = wr * re[b] - wi * im[b];
                    var ti = wr * im[b] + wi * re[b];
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }
}
