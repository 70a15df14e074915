using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxRay.Abstractions;

/// <summary>
/// Standard normal draws by the ziggurat method (Marsaglia and Tsang 2000, in Doornik's 2005 ZIGNOR form with
/// 128 blocks and a double-precision uniform, which avoids the correlation of the 32-bit original). About 99% of
/// draws cost one 64-bit random number, a table lookup and a multiply — several times faster than Box–Muller,
/// which matters when a sampler refreshes millions of velocity components per step.
/// </summary>
internal static class ZigguratNormal
{
    private const int Blocks = 128;
    private const double TailStart = 3.442619855899;       // R: start of the tail
    private const double BlockArea = 9.91256303526217e-3;   // V: area of each block

    private static readonly double[] X = BuildX();
    private static readonly double[] Ratio = BuildRatio(X);

    /// <summary>One standard normal draw from <paramref name="random"/>.</summary>
    public static double Next(ChainRandom random)
    {
        var bits = random.NextUInt64();
        return TryFast(bits, out var x) ? x : CompleteSlow(random, bits);
    }

    /// <summary>
    /// The fast path (about 99% of draws): the point chosen by the 64 random <paramref name="bits"/> lies inside its
    /// block's rectangle. Split out so that a bulk fill can run it with the generator state held in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFast(ulong bits, out double x)
    {
        var block = (int)(bits & (Blocks - 1));
        // The top 53 bits give a uniform u in [−1, 1); the low 7 bits chose the block. (long: the value fits, and
        // the signed conversion is a single instruction.)
        var u = 2.0 * ((long)(bits >> 11) * (1.0 / (1UL << 53))) - 1.0;
        ref var xs = ref MemoryMarshal.GetArrayDataReference(X);
        x = u * Unsafe.Add(ref xs, block);
        return Math.Abs(u) < Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Ratio), block);
    }

    /// <summary>Finishes a draw whose first <paramref name="bits"/> missed the fast path (wedge or tail, or a fresh try).</summary>
    public static double CompleteSlow(ChainRandom random, ulong bits)
    {
        while (true)
        {
            var block = (int)(bits & (Blocks - 1));
            var u = 2.0 * ((bits >> 11) * (1.0 / (1UL << 53))) - 1.0;
            if (Math.Abs(u) < Ratio[block]) return u * X[block];
            if (block == 0) return Tail(random, u < 0);
            var x = u * X[block];
            var f0 = Math.Exp(-0.5 * (X[block] * X[block] - x * x));
            var f1 = Math.Exp(-0.5 * (X[block + 1] * X[block + 1] - x * x));
            if (f1 + random.NextDouble() * (f0 - f1) < 1.0) return x;
            bits = random.NextUInt64();
        }
    }

    /// <summary>Marsaglia's tail algorithm beyond <see cref="TailStart"/>.</summary>
    private static double Tail(ChainRandom random, bool negative)
    {
        double x, y;
        do
        {
            x = Math.Log(random.NextOpenDouble()) / TailStart;
            y = Math.Log(random.NextOpenDouble());
        } while (-2.0 * y < x * x);
        return negative ? x - TailStart : TailStart - x;
    }

    private static double[] BuildX()
    {
        var x = new double[Blocks + 1];
        var f = Math.Exp(-0.5 * TailStart * TailStart);
        x[0] = BlockArea / f;
        x[1] = TailStart;
        x[Blocks] = 0;
        for (var i = 2; i < Blocks; i++)
        {
            x[i] = Math.Sqrt(-2.0 * Math.Log(BlockArea / x[i - 1] + f));
            f = Math.Exp(-0.5 * x[i] * x[i]);
        }
        return x;
    }

    private static double[] BuildRatio(double[] x)
    {
        var r = new double[Blocks];
        for (var i = 0; i < Blocks; i++) r[i] = x[i + 1] / x[i];
        return r;
    }
}
