using OnnxRay.Abstractions;

namespace OnnxRay.Abstractions.Tests;

/// <summary>
/// The bulk normal stream: its values are the documented ziggurat on 8 seeded lanes plus a finishing generator,
/// identical on the vector and scalar paths, continued exactly by chunked fills, and N(0, 1) in distribution
/// (moments, Kolmogorov–Smirnov, tails, correlations; fixed seeds, tolerances of 5 Monte Carlo standard errors).
/// </summary>
public class GaussianStreamTests
{
    private const ulong SplitMixIncrement = 0x9E3779B97F4A7C15UL;

    private static double[] Draws(ulong seed, int n)
    {
        var x = new double[n];
        var stream = new GaussianStream(seed);
        stream.Fill(x);
        return x;
    }

    [Theory]
    [InlineData(1_000_003)] // a partial last round; ~4,300 draws through the wedge and tail steps
    [InlineData(5)]
    public void Vector_path_equals_the_scalar_path_bit_for_bit(int n)
    {
        var vector = new GaussianStream(11);
        var scalar = new GaussianStream(11);
        var a = new double[n];
        var b = new double[n];
        vector.Fill(a);
        scalar.FillScalar(b);
        Assert.Equal(a.Select(BitConverter.DoubleToInt64Bits), b.Select(BitConverter.DoubleToInt64Bits));

        var af = new float[n];
        var bf = new float[n];
        vector.Fill(af); // both streams continue after the first fill
        scalar.FillScalar(bf);
        Assert.Equal(af.Select(BitConverter.SingleToInt32Bits), bf.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Each_draw_is_the_ziggurat_on_its_lane_finished_by_the_ninth_generator_in_index_order()
    {
        // An independent restatement of the documented layout: lane l is seeded like new ChainRandom(seed + 4·l·γ), the
        // finisher by the next 4 SplitMix64 outputs; draw j of lane l is element 8j + l.
        const ulong seed = 2024;
        const int rounds = 20_000;
        var lanes = Enumerable.Range(0, GaussianStream.Lanes).Select(l => new ChainRandom(unchecked(seed + 4 * (ulong)l * SplitMixIncrement))).ToArray();
        var mix = unchecked(seed + 4 * GaussianStream.Lanes * SplitMixIncrement);
        ulong f0 = ChainRandom.SplitMix64(ref mix), f1 = ChainRandom.SplitMix64(ref mix), f2 = ChainRandom.SplitMix64(ref mix), f3 = ChainRandom.SplitMix64(ref mix);
        var expected = new double[rounds * GaussianStream.Lanes];
        var slow = 0;
        for (var j = 0; j < rounds; j++)
            for (var l = 0; l < GaussianStream.Lanes; l++)
            {
                var bits = lanes[l].NextUInt64();
                if (ZigguratNormal.Bulk1024.TryFast(bits, out var x)) expected[j * GaussianStream.Lanes + l] = x;
                else
                {
                    expected[j * GaussianStream.Lanes + l] = ZigguratNormal.Bulk1024.CompleteSlow(ref f0, ref f1, ref f2, ref f3, bits);
                    slow++;
                }
            }
        Assert.Equal(expected, Draws(seed, expected.Length));
        Assert.InRange(slow, 400, 1000); // 0.43% of 160,000 draws miss the fast path: the finisher was exercised
    }

    [Fact]
    public void Chunks_of_whole_rounds_continue_one_fill_and_a_ragged_last_chunk_is_its_prefix()
    {
        const int n = 50_000;
        var whole = Draws(5, n);
        var chunked = new double[n];
        var stream = new GaussianStream(5);
        var start = 0;
        foreach (var size in new[] { 8, 1024, 4096, 16, 8 * 997 })
        {
            stream.Fill(chunked.AsSpan(start, size));
            start += size;
        }
        stream.Fill(chunked.AsSpan(start, 13)); // not a whole number of rounds: the first 13 of its rounds' draws
        Assert.Equal(whole[..(start + 13)], chunked[..(start + 13)]);

        var floats = new float[n];
        new GaussianStream(5).Fill(floats);
        Assert.Equal(whole.Select(x => (float)x), floats);
    }

    [Fact]
    public void Chain_fills_start_one_stream_from_one_output_and_resume_bit_identically()
    {
        var random = new ChainRandom(31);
        var twin = new ChainRandom(31);
        var filled = new float[777];
        random.FillGaussian(filled);
        var stream = new GaussianStream(twin.NextUInt64());
        var expected = new float[777];
        stream.Fill(expected);
        Assert.Equal(expected, filled);
        Assert.Equal(twin.NextUInt64(), random.NextUInt64()); // exactly one output of the chain's stream per fill

        random.FillGaussian(Span<float>.Empty); // an empty fill consumes nothing
        Assert.Equal(twin.NextUInt64(), random.NextUInt64());
        Assert.NotEqual(Draws(1, 64), Draws(2, 64));
    }

    [Fact]
    public void Draws_have_standard_normal_moments_and_pass_kolmogorov_smirnov()
    {
        const int n = 2_000_000;
        var x = Draws(77, n);
        double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
        foreach (var v in x)
        {
            var v2 = v * v;
            m1 += v;
            m2 += v2;
            m3 += v2 * v;
            m4 += v2 * v2;
        }
        m1 /= n; m2 /= n; m3 /= n; m4 /= n;
        // Standard errors: mean 1/√n, E x² √(2/n), E x³ √(15/n), E x⁴ √(96/n).
        Assert.InRange(m1, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(m2, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        Assert.InRange(m3, -5 * Math.Sqrt(15.0 / n), 5 * Math.Sqrt(15.0 / n));
        Assert.InRange(m4, 3 - 5 * Math.Sqrt(96.0 / n), 3 + 5 * Math.Sqrt(96.0 / n));

        Array.Sort(x);
        double d = 0;
        for (var i = 0; i < n; i++)
        {
            var cdf = StandardNormalCdf(x[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - cdf, cdf - (double)i / n));
        }
        Assert.True(d < 1.9495 / Math.Sqrt(n), $"Kolmogorov–Smirnov D = {d} exceeds the 0.1% critical value"); // K(0.999) = 1.9495
    }

    [Fact]
    public void Tail_frequencies_match_the_normal_beyond_3_4_and_the_ziggurat_tail_start()
    {
        const int n = 8_000_000;
        var x = Draws(123, n);
        foreach (var threshold in new[] { 3.0, 4.0, 4.038849846109504, 4.5 })
        {
            var count = x.LongCount(v => Math.Abs(v) > threshold);
            var p = 2 * StandardNormalCdf(-threshold);
            var sd = Math.Sqrt(p * (1 - p) / n);
            Assert.InRange((double)count / n, p - 5 * sd, p + 5 * sd);
        }
        Assert.Contains(x, v => Math.Abs(v) > 5); // the exact tail reaches well past the last block edge
        var positive = x.LongCount(v => v > 3);
        var negative = x.LongCount(v => v < -3);
        var sdSign = Math.Sqrt(positive + negative) / 2; // binomial split of the |x| > 3 draws between the signs
        Assert.InRange(positive - (positive + negative) / 2.0, -5 * sdSign, 5 * sdSign);
    }

    [Fact]
    public void Consecutive_draws_and_lanes_are_uncorrelated()
    {
        const int n = 2_000_000;
        var x = Draws(9, n);
        // Lag 1 pairs neighbouring lanes, lag 8 the same lane's consecutive draws, lag 9 the next lane's next draw.
        foreach (var lag in new[] { 1, 2, 7, 8, 9, 16 })
        {
            double sum = 0;
            for (var i = lag; i < n; i++) sum += x[i] * x[i - lag];
            var r = sum / (n - lag);
            Assert.InRange(r, -5 / Math.Sqrt(n - lag), 5 / Math.Sqrt(n - lag));
        }
        // Squares (a dependence the products above could miss): Cov(x², y²) = 0 with standard error √(4/n).
        double sq = 0;
        for (var i = 1; i < n; i++) sq += (x[i] * x[i] - 1) * (x[i - 1] * x[i - 1] - 1);
        Assert.InRange(sq / (n - 1), -5 * Math.Sqrt(4.0 / n), 5 * Math.Sqrt(4.0 / n));
    }

    [Fact]
    public void The_chord_shortcut_decides_every_wedge_test_as_the_exponential_does()
    {
        // Points spread over every wedge, many of them within 1e-6 of the chord where the shortcut must defer.
        var random = new ChainRandom(17);
        foreach (var ziggurat in new[] { ZigguratNormal.Doornik128, ZigguratNormal.Bulk1024 })
        {
            var blocks = ziggurat.Ratio.Length;
            for (var k = 0; k < 400_000; k++)
            {
                var block = 1 + (int)random.NextInt64(blocks - 1);
                var x = ziggurat.X[block + 1] + random.NextDouble() * (ziggurat.X[block] - ziggurat.X[block + 1]);
                if (random.NextDouble() < 0.5) x = -x;
                var t = (Math.Abs(x) - ziggurat.X[block + 1]) / (ziggurat.X[block] - ziggurat.X[block + 1]);
                var uniform = k % 2 == 0 ? random.NextDouble() : Math.Clamp(t + (random.NextDouble() - 0.5) * 2e-6, 0, 1);
                Assert.Equal(ziggurat.InsideWedgeExactly(block, x, uniform), ziggurat.InsideWedge(block, x, uniform));
            }
        }
    }

    /// <summary>Φ(x) by its Taylor series Φ(x) = ½ + φ(x)·Σ x^{2k+1}/(2k+1)!!, absolute error ≈ 1e-16 for |x| ≤ 8.</summary>
    private static double StandardNormalCdf(double x)
    {
        if (x < -8) return 0;
        if (x > 8) return 1;
        double term = x, sum = x, x2 = x * x;
        for (var k = 1; Math.Abs(term) > 1e-17 * Math.Abs(sum); k++)
        {
            term *= x2 / (2 * k + 1);
            sum += term;
        }
        return 0.5 + Math.Exp(-0.5 * x2) / Math.Sqrt(2 * Math.PI) * sum;
    }
}
