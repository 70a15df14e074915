using System.Numerics.Tensors;
using OnnxRay.Abstractions;
using OnnxRay.Samplers.RayTracing;

namespace OnnxRay.Samplers.Tests.RayTracing;

/// <summary>
/// The fused vector passes must do exactly what their unfused parts do, bit for bit, so fusing never changes a draw.
/// Lengths cover several noise blocks, a SIMD tail and a vector shorter than one SIMD register.
/// </summary>
public class FusedPassTests
{
    public static TheoryData<int> Lengths() => [2301, 1024, 5];

    private static float[] Gaussian(int n, ulong seed)
    {
        var a = new float[n];
        new ChainRandom(seed).FillGaussian(a);
        return a;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void KickThenScatterThenReductionsInOnePassEqualsThemOneByOne(int n)
    {
        var g = Gaussian(n, 1);
        var v0 = Gaussian(n, 2);
        const float a = 0.93f, b = -0.021f;
        const double keep = 0.8, noise = 0.6;

        var expected = v0.ToArray();
        RayVectorOps.ScaleAndAdd(expected, a, g, b);
        var reference = new ChainRandom(9);
        var xi = new double[n];
        reference.FillGaussian(xi); // the fused pass draws ξ block by block from one stream: the same values
        for (var i = 0; i < n; i++) expected[i] = (float)(keep * expected[i] + noise * xi[i]);
        var expectedReductions = RayVectorOps.KickReductions(expected, g);

        var fused = v0.ToArray();
        var random = new ChainRandom(9);
        var reductions = RayVectorOps.KickScatterReduce(fused, g, kick: true, a, b, keep, noise, random, reduce: true);
        Assert.Equal(expected, fused);
        Assert.Equal(expectedReductions, reductions);
        Assert.Equal(reference.NextUInt64(), random.NextUInt64()); // the same number of draws was used
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RedrawIgnoresTheOldVelocityAndEqualsFillGaussian(int n)
    {
        var expected = new float[n];
        new ChainRandom(4).FillGaussian(expected);
        var v = Gaussian(n, 3);
        v[0] = float.NaN; // a diverged velocity must not leak into the redraw
        RayVectorOps.KickScatterReduce(v, default, kick: false, 0, 0, keep: 0, noise: 1, new ChainRandom(4), reduce: false);
        Assert.Equal(expected, v);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void KickThenTwoDriftsInOnePassEqualsThemOneByOne(int n)
    {
        var g = Gaussian(n, 5);
        var v = Gaussian(n, 6);
        var x = Gaussian(n, 7);
        const float a = 1.01f, b = 0.3f, h1 = 0.05f, h2 = 0.025f;
        var ve = v.ToArray();
        var xe = x.ToArray();
        RayVectorOps.ScaleAndAdd(ve, a, g, b);
        PositionDrift.Apply(xe, ve, h1);
        PositionDrift.Apply(xe, ve, h2);

        RayVectorOps.ScaleAndAddThenDrift(v, a, g, b, x, h1, h2);
        Assert.Equal(ve, v);
        Assert.Equal(xe, x);
        var xOnce = xe.ToArray();
        RayVectorOps.ScaleAndAdd(ve, a, g, b);
        TensorPrimitives.MultiplyAdd(ve, h1, xOnce, xOnce);
        RayVectorOps.ScaleAndAddThenDrift(v, a, g, b, x, h1, 0);
        Assert.Equal(xOnce, x);
    }
}
