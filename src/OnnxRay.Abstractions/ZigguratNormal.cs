using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxRay.Abstractions;

/// <summary>
/// Standard normal draws by the ziggurat method (Marsaglia and Tsang 2000, in Doornik's 2005 ZIGNOR form: a
/// double-precision uniform, which avoids the correlation of the 32-bit original, and exact tails). A draw whose
/// point falls inside its block's rectangle costs one 64-bit random number, a table lookup and a multiply; the others
/// go through the wedge or tail steps with further uniforms.
/// <para>
/// Two table sets: <see cref="Doornik128"/> (128 blocks, 97.2% of draws on the fast path) for
/// <see cref="ChainRandom.NextGaussian"/>, and <see cref="Bulk1024"/> (1,024 blocks, 99.57%) for the vectorised
/// <see cref="GaussianStream"/>, whose lanes all wait whenever one of them leaves the fast path.
/// </para>
/// </summary>
internal sealed class ZigguratNormal
{
    /// <summary>Doornik's 128 blocks: R = 3.442619855899, V = 9.91256303526217e-3.</summary>
    public static readonly ZigguratNormal Doornik128 = new(128, 3.442619855899, 9.91256303526217e-3);

    /// <summary>
    /// 1,024 blocks. R solves the block recursion so that the top block closes at x = 0 (bisection in double; V =
    /// R·e^{−R²/2} + ∫_R^∞ e^{−t²/2} dt); the same procedure gives Doornik's 128-block R to 1e-11.
    /// </summary>
    public static readonly ZigguratNormal Bulk1024 = new(1024, 4.038849846109504, 0.0012263246463530893);

    private readonly double _tailStart;

    /// <summary>
    /// Block edges x₀ … x_C (x₀ = V/f(R) is the base strip's virtual width); read by the vector fast path too, which
    /// gathers from it by address (hence <see cref="X"/> and <see cref="Ratio"/> live on the pinned object heap).
    /// </summary>
    public double[] X { get; }

    /// <summary>x_{i+1}/x_i: a draw with |u| below it lies inside block i's rectangle.</summary>
    public double[] Ratio { get; }

    /// <summary>exp(−x_i²/2) at the block edges: the wedge test then needs one exponential.</summary>
    private readonly double[] _density;

    /// <summary>1/(x_i − x_{i+1}): where between its edges a wedge draw lies, without a division.</summary>
    private readonly double[] _inverseWidth;

    /// <summary>+1 where the density is concave over the whole block (x_i ≤ 1), −1 where convex (x_{i+1} ≥ 1), else 0.</summary>
    private readonly sbyte[] _curvature;

    /// <summary>
    /// How far (in units of the wedge's height) a point must lie from the chord for the chord to decide the wedge
    /// test: rounding in the chord and in the exact test is about 1e-16 of the height, so the shortcut never
    /// decides otherwise than <c>Math.Exp</c> would.
    /// </summary>
    private const double SqueezeMargin = 1e-9;

    /// <summary>Mask of the block index in the low bits of a draw's 64 random bits (the uniform uses the top 53).</summary>
    public ulong BlockMask { get; }

    private ZigguratNormal(int blocks, double tailStart, double blockArea)
    {
        _tailStart = tailStart;
        BlockMask = (ulong)blocks - 1;
        X = BuildX(blocks, tailStart, blockArea);
        Ratio = GC.AllocateUninitializedArray<double>(blocks, pinned: true);
        for (var i = 0; i < blocks; i++) Ratio[i] = X[i + 1] / X[i];
        _density = X.Select(edge => Math.Exp(-0.5 * edge * edge)).ToArray();
        _inverseWidth = new double[blocks];
        _curvature = new sbyte[blocks];
        for (var i = 0; i < blocks; i++)
        {
            _inverseWidth[i] = 1.0 / (X[i] - X[i + 1]);
            _curvature[i] = (sbyte)(X[i] <= 1 ? 1 : X[i + 1] >= 1 ? -1 : 0);
        }
    }

    /// <summary>
    /// One standard normal draw from the xoshiro256** state (s0, s1, s2, s3), held wherever the caller keeps it
    /// (a <see cref="ChainRandom"/>'s fields).
    /// </summary>
    public double Next(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        var bits = ChainRandom.Step(ref s0, ref s1, ref s2, ref s3);
        return TryFast(bits, out var x) ? x : CompleteSlow(ref s0, ref s1, ref s2, ref s3, bits);
    }

    /// <summary>
    /// The fast path: the point chosen by the 64 random <paramref name="bits"/> lies inside its block's rectangle.
    /// <see cref="GaussianStream"/> does the same operations on 8 lanes at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryFast(ulong bits, out double x)
    {
        var block = (int)(bits & BlockMask);
        // The top 53 bits give a uniform u in [−1, 1) on a 2⁻⁵² grid; the low bits chose the block. (long: the
        // value fits, and the signed conversion is a single instruction.)
        var u = 2.0 * ((long)(bits >> 11) * (1.0 / (1UL << 53))) - 1.0;
        x = u * Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(X), block);
        return Math.Abs(u) < Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Ratio), block);
    }

    /// <summary>
    /// Finishes a draw whose first <paramref name="bits"/> missed the fast path (wedge or tail, or a fresh try), with
    /// further uniforms from the state (s0, s1, s2, s3). A draw inside its rectangle returns at once, consuming nothing.
    /// </summary>
    public double CompleteSlow(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3, ulong bits)
    {
        while (true)
        {
            if (TryFast(bits, out var x)) return x;
            var block = (int)(bits & BlockMask);
            // x = u·x_block with x_block > 0, so x has u's sign.
            if (block == 0) return Tail(ref s0, ref s1, ref s2, ref s3, x < 0);
            if (InsideWedge(block, x, ChainRandom.UnitDouble(ChainRandom.Step(ref s0, ref s1, ref s2, ref s3)))) return x;
            bits = ChainRandom.Step(ref s0, ref s1, ref s2, ref s3);
        }
    }

    /// <summary>
    /// Whether the point at <paramref name="x"/> (in block <paramref name="block"/>'s wedge) with height
    /// <paramref name="uniform"/> between the wedge's edges lies under the density: <see cref="InsideWedgeExactly"/>,
    /// decided by the chord between the edges where it can be. The height lies under the chord exactly when
    /// uniform &gt; t; where the density is concave the chord lies under it (a sure accept), where convex above it (a
    /// sure reject), so most wedge draws need no exponential.
    /// </summary>
    internal bool InsideWedge(int block, double x, double uniform)
    {
        var t = (Math.Abs(x) - X[block + 1]) * _inverseWidth[block];
        var curvature = _curvature[block];
        if (curvature > 0 && uniform > t + SqueezeMargin) return true;
        if (curvature < 0 && uniform < t - SqueezeMargin) return false;
        return InsideWedgeExactly(block, x, uniform);
    }

    /// <summary>The wedge test with the exponential: height f(x_{i+1}) + uniform·(f(x_i) − f(x_{i+1})) under f(x).</summary>
    internal bool InsideWedgeExactly(int block, double x, double uniform) =>
        _density[block + 1] + uniform * (_density[block] - _density[block + 1]) < Math.Exp(-0.5 * x * x);

    /// <summary>Marsaglia's tail algorithm beyond R, with uniforms in (0, 1).</summary>
    private double Tail(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3, bool negative)
    {
        double x, y;
        do
        {
            x = Math.Log(ChainRandom.OpenUnitDouble(ChainRandom.Step(ref s0, ref s1, ref s2, ref s3))) / _tailStart;
            y = Math.Log(ChainRandom.OpenUnitDouble(ChainRandom.Step(ref s0, ref s1, ref s2, ref s3)));
        } while (-2.0 * y < x * x);
        return negative ? x - _tailStart : _tailStart - x;
    }

    private static double[] BuildX(int blocks, double tailStart, double blockArea)
    {
        var x = GC.AllocateUninitializedArray<double>(blocks + 1, pinned: true);
        var f = Math.Exp(-0.5 * tailStart * tailStart);
        x[0] = blockArea / f;
        x[1] = tailStart;
        x[blocks] = 0;
        for (var i = 2; i < blocks; i++)
        {
            x[i] = Math.Sqrt(-2.0 * Math.Log(blockArea / x[i - 1] + f));
            f = Math.Exp(-0.5 * x[i] * x[i]);
        }
        return x;
    }
}
