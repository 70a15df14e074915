using System.Numerics;
using System.Runtime.InteropServices;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The two fused vector passes a kick needs. TensorPrimitives has no single-pass form of either, and at
/// D = 10⁶…10⁹ every extra pass over v and g is memory traffic the sampler adds on top of the gradient, so these
/// are written once with <see cref="Vector{T}"/>. Reductions accumulate in double (as <c>VectorMath</c> does).
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
}
