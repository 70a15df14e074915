using System.Runtime.InteropServices;

namespace OnnxRay.Samplers.Hmc;

/// <summary>Raw array (de)serialisation for kernel checkpoints, with length checks so a mismatched checkpoint fails loudly.</summary>
internal static class CheckpointIO
{
    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static void ReadFloats(BinaryReader reader, Span<float> destination, string what)
    {
        ReadLength(reader, destination.Length, what);
        ReadExactly(reader, MemoryMarshal.AsBytes(destination), what);
    }

    public static void ExpectTag(BinaryReader reader, string tag)
    {
        var found = reader.ReadString();
        if (found != tag) throw new InvalidDataException($"Checkpoint section '{found}' found where '{tag}' was expected.");
    }

    private static void ReadLength(BinaryReader reader, int expected, string what)
    {
        var length = reader.ReadInt32();
        if (length != expected)
            throw new InvalidDataException($"Checkpoint holds {length} values for {what}, the kernel has {expected}.");
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination, string what)
    {
        while (destination.Length > 0)
        {
            var read = reader.Read(destination);
            if (read == 0) throw new EndOfStreamException($"Checkpoint ends inside {what}.");
            destination = destination[read..];
        }
    }
}
