using System.Numerics;
using System.Runtime.InteropServices;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The fused vector passes of the integrators. TensorPrimitives has no single-pass form of any of them, and at
/// D = 10⁶…10⁹ every extra pass over x, v and g is memory traffic the sampler adds on top of the gradient, so these
/// are written once with <see cref="Vector{T}"/>. Reductions accumulate in double (as <c>VectorMath</c> does).
/// Every fused pass does the same float operations in the same order as its unfused parts, so fusing changes no bit.
/// </summary>
internal static class RayVectorOps
{
    /// <summary>|v|², |g|² and v·g in one pass, accumulated in double.</summary>
    public static (double VelocitySquared, double GradientSquared, double Dot) KickReductions(ReadOnlySpan<float> v, ReadOnlySpan<float> g)
    {
        var i = 0;
        var vv = Vector<double>.Zero;
        var gg = Vector<double>.Zero;
        var vg = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated && v.Length >= Vector<float>.Count)
        {
            var vb = MemoryMarshal.Cast<float, Vector<float>>(v);
            var gb = MemoryMarshal.Cast<float, Vector<float>>(g);
            for (var k = 0; k < vb.Length; k++)
            {
                Vector.Widen(vb[k], out var vlo, out var vhi);
                Vector.Widen(gb[k], out var glo, out var ghi);
                vv += vlo * vlo + vhi * vhi;
                gg += glo * glo + ghi * ghi;
                vg += vlo * glo + vhi * ghi;
            }
            i = vb.Length * Vector<float>.Count;
        }
        double svv = Vector.Sum(vv), sgg = Vector.Sum(gg), svg = Vector.Sum(vg);
        for (; i < v.Length; i++)
        {
            double a = v[i], b = g[i];
            svv += a * a;
            sgg += b * b;
            svg += a * b;
        }
        return (svv, sgg, svg);
    }

    /// <summary>v ← a·v + b·g in one pass.</summary>
    public static void ScaleAndAdd(Span<float> v, float a, ReadOnlySpan<float> g, float b)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && v.Length >= Vector<float>.Count)
        {
            var vb = MemoryMarshal.Cast<float, Vector<float>>(v);
            var gb = MemoryMarshal.Cast<float, Vector<float>>(g);
            var va = new Vector<float>(a);
            var vbScale = new Vector<float>(b);
            for (var k = 0; k < vb.Length; k++) vb[k] = va * vb[k] + vbScale * gb[k];
            i = vb.Length * Vector<float>.Count;
        }
        for (; i < v.Length; i++) v[i] = a * v[i] + b * g[i];
    }

    /// <summary>
    /// v ← a·v + b·g, then x ← x + h₁·v and, when h₂ ≠ 0, x ← x + h₂·v: a kick and the one or two drifts that follow
    /// it in one pass.
    /// </summary>
    public static void ScaleAndAddThenDrift(Span<float> v, float a, ReadOnlySpan<float> g, float b, Span<float> x, float h1, float h2)
    {
        var i = 0;
        var twice = h2 != 0;
        if (Vector.IsHardwareAccelerated && v.Length >= Vector<float>.Count)
        {
            var vb = MemoryMarshal.Cast<float, Vector<float>>(v);
            var gb = MemoryMarshal.Cast<float, Vector<float>>(g);
            var xb = MemoryMarshal.Cast<float, Vector<float>>(x);
            var va = new Vector<float>(a);
            var vbScale = new Vector<float>(b);
            var vh1 = new Vector<float>(h1);
            var vh2 = new Vector<float>(h2);
            for (var k = 0; k < vb.Length; k++)
            {
                var nv = va * vb[k] + vbScale * gb[k];
                vb[k] = nv;
                var nx = nv * vh1 + xb[k];
                if (twice) nx = nv * vh2 + nx;
                xb[k] = nx;
            }
            i = vb.Length * Vector<float>.Count;
        }
        for (; i < v.Length; i++)
        {
            v[i] = a * v[i] + b * g[i];
            x[i] = v[i] * h1 + x[i];
            if (twice) x[i] = v[i] * h2 + x[i];
        }
    }

    /// <summary>
    /// Gaussian draws are made in blocks of this many on the stack (a multiple of any SIMD width and of
    /// <see cref="GaussianStream.Lanes"/>, so the blocks continue one stream: ξ equals one <c>FillGaussian</c> of length D).
    /// </summary>
    private const int NoiseBlock = 1024;

    /// <summary>
    /// The Ornstein–Uhlenbeck scatter v ← keep·v + noise·ξ (ξ ~ N(0, I) from one <see cref="GaussianStream"/>, arithmetic in double;
    /// keep = 0 is the full redraw v ← ξ, which never reads the old v, so a non-finite v cannot survive it),
    /// optionally preceded in the same pass by the kick v ← a·v + b·g, and optionally followed, still in the same
    /// pass, by the reductions |v|², |g|², v·g of the result, which the next kick at this position then need not
    /// recompute. <paramref name="g"/> is read only when <paramref name="kick"/> or <paramref name="reduce"/>.
    /// </summary>
    public static (double VelocitySquared, double GradientSquared, double Dot) KickScatterReduce(
        Span<float> v, ReadOnlySpan<float> g, bool kick, float a, float b,
        double keep, double noise, ChainRandom random, bool reduce)
    {
        Span<double> xi = stackalloc double[NoiseBlock];
        var n = v.Length;
        var vectorEnd = Vector.IsHardwareAccelerated ? n - n % Vector<float>.Count : 0;
        var vv = Vector<double>.Zero;
        var gg = Vector<double>.Zero;
        var vg = Vector<double>.Zero;
        var va = new Vector<float>(a);
        var vbScale = new Vector<float>(b);
        var vKeep = new Vector<double>(keep);
        var vNoise = new Vector<double>(noise);
        var redraw = keep == 0 && noise == 1 && !kick;
        var normals = random.StartGaussianStream();
        for (var start = 0; start < n; start += NoiseBlock)
        {
            var length = Math.Min(NoiseBlock, n - start);
            normals.Fill(xi[..length]);
            var i = start;
            if (vectorEnd > start)
            {
                var count = (Math.Min(start + length, vectorEnd) - start) / Vector<float>.Count;
                var vb = MemoryMarshal.Cast<float, Vector<float>>(v.Slice(start, count * Vector<float>.Count));
                var gb = kick || reduce ? MemoryMarshal.Cast<float, Vector<float>>(g.Slice(start, count * Vector<float>.Count)) : default;
                var xb = MemoryMarshal.Cast<double, Vector<double>>(xi[..(count * Vector<float>.Count)]);
                for (var k = 0; k < count; k++)
                {
                    Vector<float> nv;
                    if (redraw) nv = Vector.Narrow(xb[2 * k], xb[2 * k + 1]);
                    else
                    {
                        nv = vb[k];
                        if (kick) nv = va * nv + vbScale * gb[k];
                        Vector.Widen(nv, out var lo, out var hi);
                        nv = Vector.Narrow(vKeep * lo + vNoise * xb[2 * k], vKeep * hi + vNoise * xb[2 * k + 1]);
                    }
                    vb[k] = nv;
                    if (!reduce) continue;
                    Vector.Widen(nv, out var vlo, out var vhi);
                    Vector.Widen(gb[k], out var glo, out var ghi);
                    vv += vlo * vlo + vhi * vhi;
                    gg += glo * glo + ghi * ghi;
                    vg += vlo * glo + vhi * ghi;
                }
                i = start + count * Vector<float>.Count;
            }
            for (; i < start + length; i++)
            {
                if (redraw)
                {
                    v[i] = (float)xi[i - start];
                    continue;
                }
                var nv = kick ? a * v[i] + b * g[i] : v[i];
                v[i] = (float)(keep * nv + noise * xi[i - start]);
            }
        }
        if (!reduce) return (double.NaN, double.NaN, double.NaN);
        // The scalar tail is summed after the vector lanes, in the order KickReductions uses.
        double svv = Vector.Sum(vv), sgg = Vector.Sum(gg), svg = Vector.Sum(vg);
        for (var i = vectorEnd; i < n; i++)
        {
            double p = v[i], q = g[i];
            svv += p * p;
            sgg += q * q;
            svg += p * q;
        }
        return (svv, sgg, svg);
    }
}
