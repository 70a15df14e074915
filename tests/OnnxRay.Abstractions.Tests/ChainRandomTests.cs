using OnnxRay.Abstractions;

namespace OnnxRay.Abstractions.Tests;

public class ChainRandomTests
{
    [Fact]
    public void Same_seed_gives_the_same_stream_and_different_chains_differ()
    {
        var a = ChainRandom.ForChain(42, 0);
        var b = ChainRandom.ForChain(42, 0);
        var c = ChainRandom.ForChain(42, 1);
        var xs = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(xs, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(xs, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray());
    }

    [Fact]
    public void Restored_state_continues_bit_identically()
    {
        var random = new ChainRandom(7);
        random.NextGaussian();
        var state = new byte[ChainRandom.StateSize];
        random.SaveState(state);
        var expected = new double[50];
        random.FillGaussian(expected.AsSpan(0, 25));
        for (var i = 25; i < 50; i++) expected[i] = random.NextGaussian();

        var restored = new ChainRandom(999);
        restored.RestoreState(state);
        var actual = new double[50];
        restored.FillGaussian(actual.AsSpan(0, 25));
        for (var i = 25; i < 50; i++) actual[i] = restored.NextGaussian();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gaussian_draws_have_standard_normal_moments_and_tails(bool fill)
    {
        // n = 2·10⁶ independent draws: the standard error of the mean is 1/√n ≈ 7e-4, of the variance √(2/n) ≈ 1e-3,
        // of the fourth moment √(96/n) ≈ 7e-3. Tolerances are 5 standard errors.
        const int n = 2_000_000;
        var random = new ChainRandom(2024);
        var x = new double[n];
        if (fill) random.FillGaussian(x);
        else
            for (var i = 0; i < n; i++) x[i] = random.NextGaussian();

        double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
        long inside1 = 0, beyondTail = 0;
        foreach (var v in x)
        {
            m1 += v;
            m2 += v * v;
            m3 += v * v * v;
            m4 += v * v * v * v;
            if (Math.Abs(v) < 1) inside1++;
            if (v > 3.442619855899) beyondTail++;
        }
        m1 /= n; m2 /= n; m3 /= n; m4 /= n;
        Assert.InRange(m1, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(m2, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        Assert.InRange(m3, -5 * Math.Sqrt(15.0 / n), 5 * Math.Sqrt(15.0 / n));
        Assert.InRange(m4, 3 - 5 * Math.Sqrt(96.0 / n), 3 + 5 * Math.Sqrt(96.0 / n));

        // P(|x| < 1) = 0.682689; P(x > 3.4426) = 2.8808e-4 (the ziggurat's tail region): binomial 5-sigma bounds.
        AssertProportion(inside1, n, 0.6826894921370859);
        AssertProportion(beyondTail, n, 2.8807e-4);
    }

    [Fact]
    public void NextInt64_is_uniform_and_shuffle_is_a_permutation()
    {
        var random = new ChainRandom(3);
        var counts = new int[7];
        const int n = 700_000;
        for (var i = 0; i < n; i++) counts[random.NextInt64(7)]++;
        foreach (var c in counts) AssertProportion(c, n, 1.0 / 7);

        var items = Enumerable.Range(0, 1000).ToArray();
        random.Shuffle(items.AsSpan());
        Assert.NotEqual(Enumerable.Range(0, 1000), items);
        Assert.Equal(Enumerable.Range(0, 1000), items.Order());
    }

    private static void AssertProportion(long count, long n, double p)
    {
        var sd = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange((double)count / n, p - 5 * sd, p + 5 * sd);
    }
}
