using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OnnxRay.Abstractions;

/// <summary>
/// Bulk standard normal draws for velocity and momentum refreshes (millions per step at D = 10⁶): Doornik's ziggurat
/// (<see cref="ZigguratNormal"/>) on <see cref="Lanes"/> independent xoshiro256** generators advanced together in one
/// SIMD register, plus one scalar generator that finishes the draws that miss the ziggurat's fast path.
/// <para>
/// Seeding: the 8 lanes and then the finishing generator get 4 words each from SplitMix64 started at one 64-bit output
/// of the chain's stream (<see cref="ChainRandom.StartGaussianStream"/>). A chain's saved state stays its 4×u64 and a
/// resumed chain continues bit-identically; a stream lives for one bulk operation and is never checkpointed.
/// </para>
/// <para>
/// Values: draw j of lane l is element <c>j·Lanes + l</c>. Its 64 random bits are lane l's next output; when they
/// fall inside their block's rectangle (97.2% of draws) the draw is u·x_block, otherwise the ziggurat's wedge and tail
/// steps finish it with uniforms from the finishing generator, draws taken in index order. This is the exact
/// ziggurat (every uniform it uses is fresh), tails included, not truncated. The vector path runs the fast path on all
/// lanes at once and finishes the misses afterwards in index order; the scalar path does the same draw by draw, so
/// both give the same bits on every machine, whatever its vector width (<see cref="Vector512{T}"/> runs as halves or
/// quarters where registers are narrower). Fills whose lengths are multiples of <see cref="Lanes"/> continue one
/// another exactly (a kernel may draw chunk by chunk); a fill of any other length uses the first values of its last
/// round and discards the rest of that round.
/// </para>
/// </summary>
public struct GaussianStream
{
    /// <summary>Independent generators advanced together (one <see cref="Vector512{T}"/> of ulong); one draw each per round.</summary>
    public const int Lanes = 8;

    /// <summary>Rounds run on the fast path before their misses are finished (the stack buffers hold one batch).</summary>
    private const int RoundsPerBatch = 32;

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
    public void Fill(Span<double> destination) => Fill<double>(destination, Vector128.IsHardwareAccelerated);

    /// <summary>Fills <paramref name="destination"/> with the next standard normal draws, rounded to float.</summary>
    public void Fill(Span<float> destination) => Fill<float>(destination, Vector128.IsHardwareAccelerated);

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
        Span<ulong> roundBits = stackalloc ulong[RoundsPerBatch * Lanes];
        Span<byte> roundMisses = stackalloc byte[RoundsPerBatch];
        for (var start = 0; start < destination.Length; start += RoundsPerBatch * Lanes)
        {
            var batch = destination.Slice(start, Math.Min(RoundsPerBatch * Lanes, destination.Length - start));
            FastRounds(batch, roundBits, roundMisses);
            Finish(batch, roundBits, roundMisses);
        }
    }

    /// <summary>
    /// The fast path on all lanes, round by round, keeping each round's first bits and the mask of lanes that missed
    /// it. Branch-free and without calls, so that the lane states stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a fill is one long call: tier-0 code would run it all
    private unsafe void FastRounds<T>(Span<T> destination, Span<ulong> roundBits, Span<byte> roundMisses) where T : unmanaged
    {
        ref var states = ref MemoryMarshal.GetReference((Span<ulong>)_states);
        var s0 = Vector512.LoadUnsafe(ref states);
        var s1 = Vector512.LoadUnsafe(ref states, Lanes);
        var s2 = Vector512.LoadUnsafe(ref states, 2 * Lanes);
        var s3 = Vector512.LoadUnsafe(ref states, 3 * Lanes);
        ref var output = ref MemoryMarshal.GetReference(destination);
        ref var bitsOut = ref MemoryMarshal.GetReference(roundBits);
        ref var missesOut = ref MemoryMarshal.GetReference(roundMisses);
        var ziggurat = ZigguratNormal.Bulk1024;
        var blockMask = Vector512.Create(ziggurat.BlockMask);
        fixed (double* edges = ziggurat.X, ratios = ziggurat.Ratio)
        {
            for (nuint i = 0, round = 0; i < (nuint)destination.Length; i += Lanes, round++)
            {
                var bits = Next(ref s0, ref s1, ref s2, ref s3);
                // ZigguratNormal.TryFast on every lane: u = 2·(k·2⁻⁵³) − 1 = k·2⁻⁵² − 1 exactly, k the top 53 bits.
                var u = Vector512.ConvertToDouble((bits >> 11).AsInt64()) * Vector512.Create(1.0 / (1UL << 52)) - Vector512<double>.One;
                var block = (bits & blockMask).AsInt64();
                var x = u * Gather(edges, block);
                var inside = Vector512.LessThan(Vector512.Abs(u), Gather(ratios, block));
                if (typeof(T) == typeof(double)) x.StoreUnsafe(ref Unsafe.As<T, double>(ref output), i);
                else Vector512.Narrow(x, x).GetLower().StoreUnsafe(ref Unsafe.As<T, float>(ref output), i);
                bits.StoreUnsafe(ref bitsOut, i);
                Unsafe.Add(ref missesOut, round) = (byte)~inside.ExtractMostSignificantBits();
            }
        }
        s0.StoreUnsafe(ref states);
        s1.StoreUnsafe(ref states, Lanes);
        s2.StoreUnsafe(ref states, 2 * Lanes);
        s3.StoreUnsafe(ref states, 3 * Lanes);
    }

    /// <summary>Finishes, in index order, the draws whose first bits missed the fast path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Finish<T>(Span<T> destination, ReadOnlySpan<ulong> roundBits, ReadOnlySpan<byte> roundMisses) where T : unmanaged
    {
        Span<ulong> finisher = ((Span<ulong>)_states)[FinisherOffset..];
        ref var output = ref MemoryMarshal.GetReference(destination);
        var rounds = destination.Length / Lanes;
        for (var round = 0; round < rounds; round++)
        {
            for (uint missed = roundMisses[round]; missed != 0; missed &= missed - 1)
            {
                var index = round * Lanes + BitOperations.TrailingZeroCount(missed);
                var value = ZigguratNormal.Bulk1024.CompleteSlow(ref finisher[0], ref finisher[1], ref finisher[2], ref finisher[3], roundBits[index]);
                Store(ref output, (nuint)index, value);
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

    /// <summary>xoshiro256** on all lanes at once; ×5 and ×9 as shift-adds (no 64-bit vector multiply before AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Next(ref Vector512<ulong> s0, ref Vector512<ulong> s1, ref Vector512<ulong> s2, ref Vector512<ulong> s3)
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

    /// <summary>table[index] on every lane: two AVX2 gathers, or lane by lane where there are none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<double> Gather(double* table, Vector512<long> index)
    {
        if (Avx2.IsSupported)
            return Avx2.GatherVector256(table, index.GetLower(), 8).ToVector512Unsafe().WithUpper(Avx2.GatherVector256(table, index.GetUpper(), 8));
        return Vector512.Create(table[index[0]], table[index[1]], table[index[2]], table[index[3]],
            table[index[4]], table[index[5]], table[index[6]], table[index[7]]);
    }
}
