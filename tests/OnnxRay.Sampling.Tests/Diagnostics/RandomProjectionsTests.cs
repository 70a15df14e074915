using OnnxRay.Sampling.Diagnostics;

namespace OnnxRay.Sampling.Tests.Diagnostics;

public class RandomProjectionsTests
{
    [Fact]
    public void DirectionsAreUnitLengthAndReproducibleFromTheSeed()
    {
        var a = new RandomProjections(dimension: 500, count: 6, seed: 42);
        var b = new RandomProjections(dimension: 500, count: 6, seed: 42);
        var c = new RandomProjections(dimension: 500, count: 6, seed: 43);
        for (var k = 0; k < 6; k++)
        {
            var norm = Math.Sqrt(a.Direction(k).ToArray().Sum(v => (double)v * v));
            Assert.Equal(1.0, norm, 6);
            Assert.True(a.Direction(k).SequenceEqual(b.Direction(k)));
            Assert.False(a.Direction(k).SequenceEqual(c.Direction(k)));
        }
        // independent random directions in 500-D are nearly orthogonal (|cos| ~ 1/√500)
        var dot = 0.0;
        for (var i = 0; i < 500; i++) dot += a.Direction(0)[i] * a.Direction(1)[i];
        Assert.InRange(dot, -0.25, 0.25);
    }

    [Fact]
    public void ProjectionIsTheDotProductWithEachDirection()
    {
        var p = new RandomProjections(dimension: 7, count: 3, seed: 1);
        float[] rows = [1, 2, 3, 4, 5, 6, 7, -1, 0, 0.5f, 2, 0, 0, 1];
        var series = p.ProjectRows(rows);
        Assert.Equal(3, series.Length);
        Assert.Equal(2, series[0].Length);
        for (var k = 0; k < 3; k++)
        {
            for (var d = 0; d < 2; d++)
            {
                var expected = 0.0;
                for (var i = 0; i < 7; i++) expected += p.Direction(k)[i] * (double)rows[d * 7 + i];
                Assert.Equal(expected, series[k][d], 12);
            }
        }
        Assert.Throws<ArgumentException>(() => p.ProjectRows(new float[8]));
    }
}
