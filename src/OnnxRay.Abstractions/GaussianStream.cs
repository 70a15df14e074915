using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OnnxRay.Abstractions;

/// <summary>
/// Bulk standard normal draws for velocity and momentum refreshes (millions per step at D = 10⁶): Doornik's ziggurat
/// (<see cref="ZigguratNormal"/>, 1,024 blocks) on <see cref="Lanes"/> independent xoshiro256** generators advanced
/// together in SIMD registers, plus one scalar generator that finishes the draws that miss the ziggurat's fast path.
/// <para>
/// Seeding: the 8 lanes and then the finishing generator get 4 words each from SplitMix64 started at one 64-bit output
/// of the chain's stream (<see cref="ChainRandom.StartGaussianStream"/>). A chain's saved state stays its 4×u64 and a
/// resumed chain continues bit-identically; a stream lives for one bulk operation and is never checkpointed.
/// </para>
/// <para>
/// Values: draw j of lane l is element <c>j·Lanes + l</c>. Its 64 random bits are lane l's next output; when they
/// fall inside their block's rectangle (99.57% of draws) the draw is u·x_block, otherwise the ziggurat's wedge and
/// tail steps finish it with uniforms from the finishing generator, draws taken in index order. This is the exact
/// ziggurat (every uniform it uses is fresh), tails included, not truncated. The vector path (AVX2: lanes 0–3 and
/// 4–7 in two 256-bit registers, table lookups by gather) runs the fast path on all lanes at once and finishes the
/// misses afterwards in index order; the scalar path (machines without AVX2) does the same draw by draw with the same
/// IEEE operations, so both give the same bits on every machine. Fills whose lengths are multiples of
/// <see cref="Lanes"/> continue one another exactly (a kernel may draw chunk by chunk); a fill of any other length
/// uses the first values of its last round and discards the rest of that round.
/// </para>
/// </summary>
public struct GaussianStream
{
    /// <summary>Independent generators advanced together; one draw each per round.</summary>
    public const int Lanes = 8;

    /// <summary>Rounds run on the fast path before their misses are finished (the stack buffers hold one batch).</summary>
    private const int RoundsPerBatch = 128;

    /// <summary>Where the finishing generator's 4 words start in <see cref="_states"/>, after the lanes' 4×8.</summary>
    private const int FinisherOffset = 4 * Lanes;

    /// <summary>xoshiro256** states: word w of lane l at [w·Lanes + l] (each word of all lanes is one vector), then the finisher's 4 words.</summary>
    private LaneStates _states;

    [InlineArray(4 * Lanes + 4)]
    private struct LaneStates
    {
        private ulong _element0;
    }

    /// <summary>A stream seeded from <paramref name="seed"/> through SplitMix64: lane by lane, 4 words each, then the finisher.</summary>
    public GaussianStream(ulong seed)
    {
        Span<ulong> states = _states;
        var mix = seed;
        for (var lane = 0; lane < Lanes; lane++)
            for (var word = 0; word < 4; word++) states[word * Lanes + lane] = ChainRandom.SplitMix64(ref mix);
        for (var word = 0; word < 4; word++) states[FinisherOffset + word] = ChainRandom.SplitMix64(ref mix);
    }

    /// <summary>Fills <paramref name="destination"/> with the next standard normal draws.</summary>
    public void Fill(Span<double> destination) => Fill<double>(destination, Avx2.IsSupported);

    /// <summary>Fills <paramref name="destination"/> with the next standard normal draws, rounded to float.</summary>
    public void Fill(Span<float> destination) => Fill<float>(destination, Avx2.IsSupported);

    /// <summary>The lane-by-lane scalar path, for tests that prove the vector path gives the same bits.</summary>
    internal void FillScalar(Span<double> destination) => Fill<double>(destination, vector: false);

    /// <inheritdoc cref="FillScalar(Span{double})"/>
    internal void FillScalar(Span<float> destination) => Fill<float>(destination, vector: false);

    private void Fill<T>(Span<T> destination, bool vector) where T : unmanaged
    {
        var whole = destination.Length - destination.Length % Lanes;
        if (vector) FillRoundsVector(destination[..whole]);
        else FillRoundsScalar(destination[..whole]);
        if (whole == destination.Length) return;
        Span<T> last = stackalloc T[Lanes];
        if (vector) FillRoundsVector(last);
        else FillRoundsScalar(last);
        last[..(destination.Length - whole)].CopyTo(destination[whole..]);
    }

    [SkipLocalsInit] // the buffers are written before they are read
    private void FillRoundsVector<T>(Span<T> destination) where T : unmanaged
    {
        Span<int> missRounds = stackalloc int[RoundsPerBatch];
        Span<byte> missLanes = stackalloc byte[RoundsPerBatch];
        Span<ulong> missBits = stackalloc ulong[RoundsPerBatch * Lanes];
        for (var start = 0; start < destination.Length; start += RoundsPerBatch * Lanes)
        {
            var batch = destination.Slice(start, Math.Min(RoundsPerBatch * Lanes, destination.Length - start));
            var missed = FastRounds(batch, missRounds, missLanes, missBits);
            Finish(batch, missRounds[..missed], missLanes, missBits);
        }
    }

    /// <summary>
    /// The fast path on all lanes, round by round (lanes 0–3 and 4–7 in two 256-bit registers). A round where some
    /// lane missed it (3.4% of rounds) keeps its index, the mask of those lanes and its first bits; returns how many
    /// rounds did. Without calls, so that the lane states stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a fill is one long call: tier-0 code would run it all
    private unsafe int FastRounds<T>(Span<T> destination, Span<int> missRounds, Span<byte> missLanes, Span<ulong> missBits) where T : unmanaged
    {
        // The tables first: their class's initialisation check is a call, and a call while the states are live in
        // vector registers makes the JIT keep them in memory for the whole loop.
        var ziggurat = ZigguratNormal.Bulk1024;
        var blockMask = Vector256.Create(ziggurat.BlockMask);
        var edges = (double*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(ziggurat.X)); // pinned arrays
        var ratios = (double*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(ziggurat.Ratio));
        ref var states = ref MemoryMarshal.GetReference((Span<ulong>)_states);
        var a0 = Vector256.LoadUnsafe(ref states);
        var a1 = Vector256.LoadUnsafe(ref states, Lanes);
        var a2 = Vector256.LoadUnsafe(ref states, 2 * Lanes);
        var a3 = Vector256.LoadUnsafe(ref states, 3 * Lanes);
        var b0 = Vector256.LoadUnsafe(ref states, 4);
        var b1 = Vector256.LoadUnsafe(ref states, Lanes + 4);
        var b2 = Vector256.LoadUnsafe(ref states, 2 * Lanes + 4);
        var b3 = Vector256.LoadUnsafe(ref states, 3 * Lanes + 4);
        ref var output = ref MemoryMarshal.GetReference(destination);
        ref var roundsOut = ref MemoryMarshal.GetReference(missRounds);
        ref var lanesOut = ref MemoryMarshal.GetReference(missLanes);
        ref var bitsOut = ref MemoryMarshal.GetReference(missBits);
        var missed = 0;
        for (nuint i = 0, round = 0; i < (nuint)destination.Length; i += Lanes, round++)
        {
            var bitsA = Next(ref a0, ref a1, ref a2, ref a3);
            var bitsB = Next(ref b0, ref b1, ref b2, ref b3);
            var (xa, outsideA) = Fast(bitsA, blockMask, edges, ratios);
            var (xb, outsideB) = Fast(bitsB, blockMask, edges, ratios);
            if (typeof(T) == typeof(double))
            {
                xa.StoreUnsafe(ref Unsafe.As<T, double>(ref output), i);
                xb.StoreUnsafe(ref Unsafe.As<T, double>(ref output), i + 4);
            }
            else
            {
                Avx.ConvertToVector128Single(xa).StoreUnsafe(ref Unsafe.As<T, float>(ref output), i);
                Avx.ConvertToVector128Single(xb).StoreUnsafe(ref Unsafe.As<T, float>(ref output), i + 4);
            }
            var outside = outsideA | (outsideB << 4);
            if (outside == 0) continue;
            Unsafe.Add(ref roundsOut, missed) = (int)round;
            Unsafe.Add(ref lanesOut, missed) = (byte)outside;
            bitsA.StoreUnsafe(ref bitsOut, (nuint)(missed * Lanes));
            bitsB.StoreUnsafe(ref bitsOut, (nuint)(missed++ * Lanes + 4));
        }
        a0.StoreUnsafe(ref states);
        a1.StoreUnsafe(ref states, Lanes);
        a2.StoreUnsafe(ref states, 2 * Lanes);
        a3.StoreUnsafe(ref states, 3 * Lanes);
        b0.StoreUnsafe(ref states, 4);
        b1.StoreUnsafe(ref states, Lanes + 4);
        b2.StoreUnsafe(ref states, 2 * Lanes + 4);
        b3.StoreUnsafe(ref states, 3 * Lanes + 4);
        return missed;
    }

    /// <summary>xoshiro256** on 4 lanes at once; ×5 and ×9 as shift-adds (AVX2 has no 64-bit multiply).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Next(ref Vector256<ulong> s0, ref Vector256<ulong> s1, ref Vector256<ulong> s2, ref Vector256<ulong> s3)
    {
        var times5 = s1 + (s1 << 2);
        var rotated = (times5 << 7) | (times5 >> 57);
        var result = rotated + (rotated << 3);
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 45) | (s3 >> 19);
        return result;
    }

    /// <summary><see cref="ZigguratNormal.TryFast"/> on 4 lanes: the draws u·x_block and the mask of lanes outside their rectangle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<double> X, uint Outside) Fast(Vector256<ulong> bits, Vector256<ulong> blockMask, double* edges, double* ratios)
    {
        // u = k·2⁻⁵² − 1 with k the top 53 bits, converted exactly in two 26/27-bit halves (AVX2 has no 64-bit convert).
        var k = bits >> 11;
        var magic = Vector256.Create(0x4330_0000_0000_0000UL);
        var twoTo52 = Vector256.Create(4503599627370496.0);
        var high = ((k >> 26) | magic).AsDouble() - twoTo52;
        var low = ((k & Vector256.Create((1UL << 26) - 1)) | magic).AsDouble() - twoTo52;
        var u = (high * Vector256.Create((double)(1 << 26)) + low) * Vector256.Create(1.0 / (1UL << 52)) - Vector256<double>.One;
        var block = (bits & blockMask).AsInt64();
        var x = u * Avx2.GatherVector256(edges, block, 8);
        var inside = Vector256.LessThan(Vector256.Abs(u), Avx2.GatherVector256(ratios, block, 8));
        return (x, ~inside.ExtractMostSignificantBits() & 0xF);
    }

    /// <summary>Finishes, in index order, the draws whose first bits missed the fast path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Finish<T>(Span<T> destination, ReadOnlySpan<int> missRounds, ReadOnlySpan<byte> missLanes, ReadOnlySpan<ulong> missBits)
        where T : unmanaged
    {
        Span<ulong> finisher = ((Span<ulong>)_states)[FinisherOffset..];
        ref var output = ref MemoryMarshal.GetReference(destination);
        for (var k = 0; k < missRounds.Length; k++)
        {
            for (uint lanes = missLanes[k]; lanes != 0; lanes &= lanes - 1)
            {
                var lane = BitOperations.TrailingZeroCount(lanes);
                var value = ZigguratNormal.Bulk1024.CompleteSlow(ref finisher[0], ref finisher[1], ref finisher[2], ref finisher[3], missBits[k * Lanes + lane]);
                Store(ref output, (nuint)(missRounds[k] * Lanes + lane), value);
            }
        }
    }

    private void FillRoundsScalar<T>(Span<T> destination) where T : unmanaged
    {
        Span<ulong> states = _states;
        ref var output = ref MemoryMarshal.GetReference(destination);
        for (var start = 0; start < destination.Length; start += Lanes)
            for (var lane = 0; lane < Lanes; lane++)
            {
                var bits = ChainRandom.Step(ref states[lane], ref states[Lanes + lane], ref states[2 * Lanes + lane], ref states[3 * Lanes + lane]);
                var value = ZigguratNormal.Bulk1024.TryFast(bits, out var x) ? x
                    : ZigguratNormal.Bulk1024.CompleteSlow(ref states[FinisherOffset], ref states[FinisherOffset + 1],
                        ref states[FinisherOffset + 2], ref states[FinisherOffset + 3], bits);
                Store(ref output, (nuint)(start + lane), value);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ref T output, nuint index, double value) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) Unsafe.Add(ref Unsafe.As<T, double>(ref output), index) = value;
        else Unsafe.Add(ref Unsafe.As<T, float>(ref output), index) = (float)value;
    }

}
