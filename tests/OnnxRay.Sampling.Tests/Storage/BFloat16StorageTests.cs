using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver;

namespace OnnxRay.Sampling.Tests.Storage;

/// <summary>bfloat16 draw storage: the conversion itself, and a run stored as bfloat16 against the same run in float32.</summary>
public class BFloat16StorageTests
{
    [Theory]
    [InlineData(1.0f, (ushort)0x3F80)]
    [InlineData(-2.0f, (ushort)0xC000)]
    [InlineData(0.0f, (ushort)0x0000)]
    [InlineData(float.PositiveInfinity, (ushort)0x7F80)]
    [InlineData(float.NegativeInfinity, (ushort)0xFF80)]
    [InlineData(1e30f, (ushort)0x714A)]                 // far beyond float16's range (65504), fine in bfloat16
    public void Known_values_convert_exactly(float value, ushort word)
    {
        Assert.Equal(word, BFloat16Bits.FromSingle(value));
        Assert.Equal(BitConverter.UInt32BitsToSingle((uint)word << 16), BFloat16Bits.ToSingle(word));
    }

    [Fact]
    public void Rounding_is_to_nearest_with_ties_to_even_and_nan_stays_nan()
    {
        // 1 + 2^-8 lies exactly between 1 (even mantissa) and 1 + 2^-7: ties go to the even one, 1.
        Assert.Equal((ushort)0x3F80, BFloat16Bits.FromSingle(1f + MathF.Pow(2, -8)));
        // 1 + 3·2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): up to the even one.
        Assert.Equal((ushort)0x3F82, BFloat16Bits.FromSingle(1f + 3 * MathF.Pow(2, -8)));
        // Just above the tie rounds up.
        Assert.Equal((ushort)0x3F81, BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808001)));
        Assert.True(float.IsNaN(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(float.NaN))));
        // A NaN whose payload sits only in the low bits must not round into ∞.
        Assert.True(float.IsNaN(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x7F800001)))));
        // Every value in a sweep is within half a unit in the last place: 8 significant bits, so 2^-8 relative.
        var random = new Random(4);
        for (var i = 0; i < 10000; i++)
        {
            var x = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20)));
            var back = BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(x));
            Assert.True(Math.Abs(back - x) <= Math.Abs(x) * Math.Pow(2, -8), $"{x} → {back}");
        }
    }

    [Fact]
    public void A_bfloat16_run_stores_the_float32_run_rounded_and_says_bfloat16()
    {
        var settings = DriverRuns.Small with { Chains = 2, Draws = 40, ChunkSize = 15 };
        using var exact = new TempFolder();
        using var rounded = new TempFolder();
        DriverRuns.Create(exact.Path, settings).Run();
        DriverRuns.Create(rounded.Path, settings with { Precision = DrawPrecision.BFloat16 }).Run();

        Assert.Equal("bfloat16", RunFolder.ReadManifest(rounded.Path).Dtype);
        Assert.Contains("\"bfloat16\"", File.ReadAllText(RunLayout.ChunkIndexPath(rounded.Path, 0)));
        using var a = RunFolder.Open(exact.Path);
        using var b = RunFolder.Open(rounded.Path);
        for (var k = 0; k < settings.Chains; k++)
        {
            Assert.Equal(DrawPrecision.BFloat16, b.Chains[k].Precision);
            var expected = DriverRuns.AllDraws(a.Chains[k]);
            var actual = DriverRuns.AllDraws(b.Chains[k]);
            Assert.Equal(expected.Length, actual.Length);
            // Storage does not touch the sampler: each stored value is exactly the float32 draw rounded to bfloat16.
            for (var i = 0; i < expected.Length; i++)
                Assert.Equal(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(expected[i])), actual[i]);
        }
    }
}
