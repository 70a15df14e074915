using System.Numerics;
using System.Runtime.InteropServices;

namespace OnnxRay.Abstractions;

/// <summary>
/// Reductions over float32 vectors accumulated in float64, so that norms and dot products stay accurate
/// at D = 10⁹ (a float accumulator loses all precision long before that). SIMD through <see cref="Vector{T}"/>.
/// </summary>
public static class VectorMath
{
    /// <summary>Σ a_i·b_i accumulated in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Length mismatch: {a.Length} vs {b.Length}.");
        var i = 0;
        var acc0 = Vector<double>.Zero;
        var acc1 = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (var k = 0; k < va.Length; k++)
            {
                Vector.Widen(va[k], out var alo, out var ahi);
                Vector.Widen(vb[k], out var blo, out var bhi);
                acc0 += alo * blo;
                acc1 += ahi * bhi;
            }
            i = va.Length * Vector<float>.Count;
        }
        var sum = Vector.Sum(acc0 + acc1);
        for (; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>Σ a_i² accumulated in double.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> a)
    {
        var i = 0;
        var acc0 = Vector<double>.Zero;
        var acc1 = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            for (var k = 0; k < va.Length; k++)
            {
                Vector.Widen(va[k], out var lo, out var hi);
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            i = va.Length * Vector<float>.Count;
        }
        var sum = Vector.Sum(acc0 + acc1);
        for (; i < a.Length; i++) sum += (double)a[i] * a[i];
        return sum;
    }

    /// <summary>Euclidean norm accumulated in double.</summary>
    public static double Norm(ReadOnlySpan<float> a) => Math.Sqrt(SumOfSquares(a));

    /// <summary>True when every element is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> a)
    {
        foreach (var x in a)
            if (!float.IsFinite(x)) return false;
        return true;
    }
}
