using OnnxRay.Abstractions;

namespace OnnxRay.Abstractions.Tests;

public class VectorMathTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void Dot_and_norm_match_a_double_precision_loop(int length)
    {
        var random = new ChainRandom((ulong)length);
        var a = new float[length];
        var b = new float[length];
        random.FillGaussian(a);
        random.FillGaussian(b);
        double dot = 0, sq = 0;
        for (var i = 0; i < length; i++)
        {
            dot += (double)a[i] * b[i];
            sq += (double)a[i] * a[i];
        }
        Assert.Equal(dot, VectorMath.Dot(a, b), 1e-9 * Math.Max(1, Math.Abs(dot)));
        Assert.Equal(sq, VectorMath.SumOfSquares(a), 1e-9 * sq);
        Assert.Equal(Math.Sqrt(sq), VectorMath.Norm(a), 1e-9 * Math.Sqrt(sq));
    }

    [Fact]
    public void Sum_of_squares_stays_exact_where_a_float_accumulator_would_stall()
    {
        // 2²⁴ + 1 ones: a float accumulator stops growing at 2²⁴; the double accumulator must not.
        var ones = new float[(1 << 24) + 1];
        Array.Fill(ones, 1f);
        Assert.Equal((1 << 24) + 1, VectorMath.SumOfSquares(ones));
    }

    [Fact]
    public void Mismatched_lengths_and_non_finite_values_are_reported()
    {
        Assert.Throws<ArgumentException>(() => VectorMath.Dot(new float[3], new float[4]));
        Assert.True(VectorMath.AllFinite([1f, 2f]));
        Assert.False(VectorMath.AllFinite([1f, float.NaN]));
    }
}
