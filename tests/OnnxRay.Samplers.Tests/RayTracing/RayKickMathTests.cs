using OnnxRay.Abstractions;
using OnnxRay.Samplers.RayTracing;

namespace OnnxRay.Samplers.Tests.RayTracing;

/// <summary>Exact invariants of the ray-tracing kick (samplers.md §1.2, §1.13, §1.15 items 1–4).</summary>
public class RayKickMathTests
{
    private static double[] Gaussian(ChainRandom r, int d, double scale = 1)
    {
        var x = new double[d];
        for (var i = 0; i < d; i++) x[i] = scale * r.NextGaussian();
        return x;
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double[] ApplyDouble(double[] v, double[] g, KickCoefficients c) =>
        v.Select((x, i) => c.VelocityScale * x + c.GradientScale * g[i]).ToArray();

    public static TheoryData<int, double> Cases() => new()
    {
        { 2, 0.01 }, { 2, 0.7 }, { 3, 0.3 }, { 5, 2.0 }, { 50, 0.05 }, { 50, 0.8 }, { 10_000, 0.002 }, { 10_000, 0.05 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DoubleKickPreservesSpeedAndReachesThetaFinal(int d, double h)
    {
        var r = new ChainRandom((ulong)(d * 7919 + (int)(h * 1000)));
        for (var trial = 0; trial < 20; trial++)
        {
            var v = Gaussian(r, d);
            var g = Gaussian(r, d, 3.0);
            var c = RayKickMath.FromVectors(v, g, h);
            var v2 = ApplyDouble(v, g, c);
            Assert.Equal(Norm(v), Norm(v2), Norm(v) * 1e-12);

            // New angle to ĝ: tan(θ_f/2) = tan(θ_i/2)·e^{−k}, k = h|v||g|/(D−1).
            var thetaI = Math.Acos(Math.Clamp(Dot(v, g) / (Norm(v) * Norm(g)), -1, 1));
            var k = h * Norm(v) * Norm(g) / (d - 1);
            var thetaF = 2 * Math.Atan(Math.Tan(thetaI / 2) * Math.Exp(-k));
            var cosAfter = Dot(v2, g) / (Norm(v2) * Norm(g));
            Assert.Equal(Math.Cos(thetaF), cosAfter, 1e-10);
            Assert.Equal(Math.Cos(thetaF), c.CosFinal, 1e-10);
            // ΔlnLum = (D−1)·ln(sinθ_i/sinθ_f).
            Assert.Equal((d - 1) * Math.Log(Math.Sin(thetaI) / Math.Sin(thetaF)), c.DeltaLogLuminosity,
                1e-9 * Math.Max(1, Math.Abs(c.DeltaLogLuminosity)));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FloatKickPreservesSpeedToSinglePrecision(int d, double h)
    {
        var r = new ChainRandom((ulong)(d + 3));
        var v = new float[d];
        var g = new float[d];
        for (var trial = 0; trial < 10; trial++)
        {
            r.FillGaussian(v);
            r.FillGaussian(g);
            var before = VectorMath.Norm(v);
            var lum = VelocityKick.Apply(v, g, h);
            Assert.True(double.IsFinite(lum));
            Assert.Equal(1.0, VectorMath.Norm(v) / before, 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KicksComposeAdditively(int d, double h)
    {
        var r = new ChainRandom((ulong)(d * 31 + 1));
        var v = Gaussian(r, d);
        var g = Gaussian(r, d);
        var a = RayKickMath.FromVectors(v, g, h);
        var va = ApplyDouble(v, g, a);
        var b = RayKickMath.FromVectors(va, g, 2.5 * h);
        var vab = ApplyDouble(va, g, b);
        var ab = RayKickMath.FromVectors(v, g, 3.5 * h);
        var vSum = ApplyDouble(v, g, ab);
        var scale = Norm(v);
        for (var i = 0; i < d; i++) Assert.Equal(vSum[i], vab[i], 1e-11 * scale);
        Assert.Equal(ab.DeltaLogLuminosity, a.DeltaLogLuminosity + b.DeltaLogLuminosity, 1e-10 * Math.Max(1, Math.Abs(ab.DeltaLogLuminosity)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReversedKickUndoesKick(int d, double h)
    {
        var r = new ChainRandom((ulong)(d * 17 + 5));
        var v = Gaussian(r, d);
        var g = Gaussian(r, d, 0.5);
        var forward = RayKickMath.FromVectors(v, g, h);
        var v1 = ApplyDouble(v, g, forward);
        var backward = RayKickMath.FromVectors(v1, g, -h);
        var v2 = ApplyDouble(v1, g, backward);
        var scale = Norm(v);
        for (var i = 0; i < d; i++) Assert.Equal(v[i], v2[i], 1e-11 * scale);
        Assert.Equal(0.0, forward.DeltaLogLuminosity + backward.DeltaLogLuminosity, 1e-10 * Math.Max(1, Math.Abs(forward.DeltaLogLuminosity)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(50)]
    [InlineData(10_000)]
    public void KickEqualsMclmcHyperbolicUpdate(int d)
    {
        var r = new ChainRandom((ulong)(d * 101));
        foreach (var pathLength in new[] { 1e-4, 0.01, 0.3, 2.0, 10.0 })
        {
            var v = Gaussian(r, d, 1.7);
            var g = Gaussian(r, d, 2.0);
            var vNorm = Norm(v);
            var gNorm = Norm(g);
            var h = pathLength / vNorm;
            var c = RayKickMath.FromVectors(v, g, h);
            var v2 = ApplyDouble(v, g, c);

            // MCHMC/MCLMC (§1.13): δ = ε|g|/(d−1), u' = [u + ĝ(sinh δ + c(cosh δ − 1))]/(cosh δ + c sinh δ).
            var delta = pathLength * gNorm / (d - 1);
            var cos = Dot(v, g) / (vNorm * gNorm);
            var denominator = Math.Cosh(delta) + cos * Math.Sinh(delta);
            for (var i = 0; i < d; i++)
            {
                var u = (v[i] / vNorm + g[i] / gNorm * (Math.Sinh(delta) + cos * (Math.Cosh(delta) - 1))) / denominator;
                Assert.Equal(u, v2[i] / vNorm, 1e-12);
            }
            var kinetic = (d - 1) * Math.Log(denominator);
            Assert.Equal(kinetic, c.DeltaLogLuminosity, 1e-10 * Math.Max(1, Math.Abs(kinetic)));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    public void ParallelAndAntiparallelKicksAreFiniteAndLeaveVelocity(double sign)
    {
        const int d = 20;
        const double h = 0.3;
        var r = new ChainRandom(9);
        var g = Gaussian(r, d);
        var v = g.Select(x => sign * 2.0 * x).ToArray();
        var expected = sign * h * Norm(v) * Norm(g); // ±Δs|g|

        var exact = RayKickMath.FromVectors(v, g, h);
        Assert.Equal(expected, exact.DeltaLogLuminosity, 1e-12 * Math.Abs(expected));
        var v2 = ApplyDouble(v, g, exact);
        for (var i = 0; i < d; i++) Assert.Equal(v[i], v2[i], 1e-12);

        var reductions = RayKickMath.FromReductions(Norm(v), Norm(g), Dot(v, g), h, d);
        Assert.Equal(expected, reductions.DeltaLogLuminosity, 1e-9 * Math.Abs(expected));

        var vf = v.Select(x => (float)x).ToArray();
        var gf = v.Select(x => (float)(sign * x)).ToArray();
        var lum = VelocityKick.Apply(vf, gf, h);
        Assert.True(double.IsFinite(lum));
        Assert.All(vf, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(sign * h * VectorMath.Norm(vf) * VectorMath.Norm(gf), lum, 1e-4 * Math.Abs(lum));
    }

    [Fact]
    public void ZeroGradientOrZeroVelocityIsANoOp()
    {
        var v = new float[] { 1, 2, 3 };
        var zero = new float[3];
        Assert.Equal(0.0, VelocityKick.Apply(v, zero, 0.5));
        Assert.Equal(new float[] { 1, 2, 3 }, v);
        var g = new float[] { 1, -1, 2 };
        Assert.Equal(0.0, VelocityKick.Apply(zero, g, 0.5));
        Assert.Equal(new float[3], zero);
    }

    [Fact]
    public void HugeStepsStayFinite()
    {
        // e^{k} overflows for k > 709: the algebraic form must not.
        var c = RayKickMath.FromReductions(1e3, 1e8, 0.3 * 1e11, 10.0, 3);
        Assert.True(double.IsFinite(c.VelocityScale) && double.IsFinite(c.GradientScale) && double.IsFinite(c.DeltaLogLuminosity));
        Assert.Equal(1.0, c.CosFinal, 1e-12); // fully bent onto ĝ
    }

    [Fact]
    public void BelowTwoDimensionsTheKickIsHamiltonian()
    {
        var v = new float[] { 0.5f };
        var g = new float[] { -2f };
        var deltaKinetic = VelocityKick.Apply(v, g, 0.25);
        Assert.Equal(0.0f, v[0]);
        Assert.Equal(-0.125, deltaKinetic, 1e-12);
    }
}
