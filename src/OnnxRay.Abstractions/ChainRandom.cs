using System.Buffers.Binary;

namespace OnnxRay.Abstractions;

/// <summary>
/// The random stream of one chain: xoshiro256** seeded through SplitMix64 from (run seed, chain index).
/// Its whole state (<see cref="StateSize"/> bytes) can be saved and restored, so a resumed chain
/// continues the same stream bit for bit. Not thread-safe; one instance per chain.
/// </summary>
public sealed class ChainRandom
{
    /// <summary>Bytes written by <see cref="SaveState(Span{byte})"/>.</summary>
    public const int StateSize = 4 * sizeof(ulong) + 1 + sizeof(double);

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A stream seeded from one 64-bit seed.</summary>
    public ChainRandom(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>The stream of chain <paramref name="chainIndex"/> in a run seeded with <paramref name="runSeed"/>.</summary>
    public static ChainRandom ForChain(ulong runSeed, int chainIndex)
    {
        // Mix the chain index through SplitMix64 so neighbouring chains get unrelated seeds.
        var mix = runSeed ^ 0x9E3779B97F4A7C15UL * (ulong)(chainIndex + 1);
        return new ChainRandom(SplitMix64(ref mix));
    }

    /// <summary>An independent stream derived from this one (for a sub-component such as a minibatch feeder).</summary>
    public ChainRandom Fork() => new(NextUInt64());

    /// <summary>Next raw 64-bit output.</summary>
    public ulong NextUInt64() => Step(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>One xoshiro256** step on a state held wherever the caller keeps it (fields, or one lane of a <see cref="GaussianStream"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static ulong Step(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        var result = RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => UnitDouble(NextUInt64());

    /// <summary>Uniform double in (0, 1): never 0, safe for logarithms.</summary>
    public double NextOpenDouble() => OpenUnitDouble(NextUInt64());

    /// <summary>The top 53 of 64 random bits as a uniform double in [0, 1).</summary>
    internal static double UnitDouble(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    /// <summary>The top 53 of 64 random bits as a uniform double in (0, 1).</summary>
    internal static double OpenUnitDouble(ulong bits) => ((bits >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>) without modulo bias.</summary>
    public long NextInt64(long exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax), "must be positive");
        var bound = (ulong)exclusiveMax;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            if (r >= threshold) return (long)(r % bound);
        }
    }

    /// <summary>Standard normal draw (ziggurat method, see <see cref="ZigguratNormal"/>).</summary>
    public double NextGaussian() => ZigguratNormal.Doornik128.Next(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>
    /// A bulk stream of standard normal draws (see <see cref="GaussianStream"/>) seeded from the next 64-bit output of
    /// this stream: a kernel that refreshes D velocities chunk by chunk starts one stream per refresh.
    /// </summary>
    public GaussianStream StartGaussianStream() => new(NextUInt64());

    /// <summary>
    /// Fills <paramref name="destination"/> with independent standard normal draws from a fresh
    /// <see cref="StartGaussianStream"/> (one 64-bit output of this stream per non-empty fill). The values are not
    /// those of <see cref="NextGaussian"/>: bulk draws use the 1,024-block ziggurat on 8 vector lanes, single draws
    /// Doornik's 128-block ziggurat on this stream.
    /// </summary>
    public void FillGaussian(Span<float> destination)
    {
        if (destination.IsEmpty) return;
        var stream = StartGaussianStream();
        stream.Fill(destination);
    }

    /// <inheritdoc cref="FillGaussian(Span{float})"/>
    public void FillGaussian(Span<double> destination)
    {
        if (destination.IsEmpty) return;
        var stream = StartGaussianStream();
        stream.Fill(destination);
    }

    /// <summary>In-place Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = (int)NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Writes the full state into <paramref name="destination"/> (<see cref="StateSize"/> bytes).</summary>
    public void SaveState(Span<byte> destination)
    {
        if (destination.Length < StateSize) throw new ArgumentException($"needs {StateSize} bytes", nameof(destination));
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _s0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _s1);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _s2);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _s3);
        // Bytes 32..40 held a cached Box–Muller value in format 1; kept (zero) so the state size is unchanged.
        destination[32..StateSize].Clear();
    }

    /// <summary>Restores a state written by <see cref="SaveState(Span{byte})"/>.</summary>
    public void RestoreState(ReadOnlySpan<byte> source)
    {
        if (source.Length < StateSize) throw new ArgumentException($"needs {StateSize} bytes", nameof(source));
        _s0 = BinaryPrimitives.ReadUInt64LittleEndian(source);
        _s1 = BinaryPrimitives.ReadUInt64LittleEndian(source[8..]);
        _s2 = BinaryPrimitives.ReadUInt64LittleEndian(source[16..]);
        _s3 = BinaryPrimitives.ReadUInt64LittleEndian(source[24..]);
    }

    /// <summary>Writes the state to a checkpoint stream.</summary>
    public void SaveState(BinaryWriter writer)
    {
        Span<byte> buffer = stackalloc byte[StateSize];
        SaveState(buffer);
        writer.Write(buffer);
    }

    /// <summary>Reads a state written by <see cref="SaveState(BinaryWriter)"/>.</summary>
    public void RestoreState(BinaryReader reader)
    {
        var bytes = reader.ReadBytes(StateSize);
        if (bytes.Length != StateSize) throw new EndOfStreamException("Checkpoint ends inside a random-stream state.");
        RestoreState(bytes);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    internal static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
