using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using OnnxRay.Abstractions;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Driver;

/// <summary>
/// <c>chain-K/checkpoint.bin</c>: everything needed to continue a chain bit for bit — phase and counters, the
/// current position, the chain's random stream, the kernel's and the density's saved state, and the stored-but-not-yet-
/// chunked draws with their stats. A SHA-256 trailer detects a damaged file.
/// </summary>
internal sealed class ChainCheckpoint
{
    private static readonly byte[] Magic = "ORAYCKPT"u8.ToArray();
    private const int FormatVersion = 2; // 2: pending stats rows carry the energy (format 1 is still read)

    public int Chain { get; init; }
    public string Sampler { get; init; } = "";
    public ChainPhase Phase { get; init; }
    public int WarmupDone { get; init; }
    public long SamplingTransitions { get; init; }
    public int CommittedChunks { get; init; }
    public long CommittedDraws { get; init; }
    public double PhaseAcceptanceSum { get; init; }
    public long PhaseDivergences { get; init; }
    public float[] Position { get; init; } = [];
    public byte[] RandomState { get; init; } = [];
    public float[] PendingDraws { get; init; } = [];
    public DrawStats[] PendingStats { get; init; } = [];
    public byte[] KernelState { get; init; } = [];
    public byte[]? DensityState { get; init; }

    public byte[] Serialize()
    {
        using var memory = new MemoryStream();
        using (var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(Chain);
            w.Write(Sampler);
            w.Write((int)Phase);
            w.Write(WarmupDone);
            w.Write(SamplingTransitions);
            w.Write(CommittedChunks);
            w.Write(CommittedDraws);
            w.Write(PhaseAcceptanceSum);
            w.Write(PhaseDivergences);
            WriteFloats(w, Position);
            WriteBytes(w, RandomState);
            WriteFloats(w, PendingDraws);
            w.Write(PendingStats.Length);
            foreach (var row in PendingStats) WriteStats(w, row);
            WriteBytes(w, KernelState);
            w.Write(DensityState is not null);
            if (DensityState is not null) WriteBytes(w, DensityState);
        }
        memory.Write(SHA256.HashData(memory.GetBuffer().AsSpan(0, (int)memory.Length)));
        return memory.ToArray();
    }

    /// <exception cref="RunFolderException">The file is damaged or not a checkpoint.</exception>
    public static ChainCheckpoint Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new RunFolderException(path, "is not an OnnxRay checkpoint.");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new RunFolderException(path, "checkpoint is corrupt (SHA-256 mismatch).");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length), Encoding.UTF8);
            r.ReadBytes(Magic.Length);
            var version = r.ReadInt32();
            if (version is < 1 or > FormatVersion) throw new RunFolderException(path, $"checkpoint format {version} is not supported (expected {FormatVersion}).");
            return new ChainCheckpoint
            {
                Chain = r.ReadInt32(),
                Sampler = r.ReadString(),
                Phase = (ChainPhase)r.ReadInt32(),
                WarmupDone = r.ReadInt32(),
                SamplingTransitions = r.ReadInt64(),
                CommittedChunks = r.ReadInt32(),
                CommittedDraws = r.ReadInt64(),
                PhaseAcceptanceSum = r.ReadDouble(),
                PhaseDivergences = r.ReadInt64(),
                Position = ReadFloats(r),
                RandomState = ReadBytes(r),
                PendingDraws = ReadFloats(r),
                PendingStats = Enumerable.Range(0, r.ReadInt32()).Select(_ => ReadStats(r, version)).ToArray(),
                KernelState = ReadBytes(r),
                DensityState = r.ReadBoolean() ? ReadBytes(r) : null,
            };
        }
        catch (EndOfStreamException e)
        {
            throw new RunFolderException(path, "checkpoint ends early.", e);
        }
    }

    private static void WriteFloats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        var values = new float[r.ReadInt32()];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException();
        return values;
    }

    private static void WriteBytes(BinaryWriter w, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r)
    {
        var length = r.ReadInt32();
        var bytes = r.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException();
        return bytes;
    }

    private static void WriteStats(BinaryWriter w, DrawStats row)
    {
        w.Write(row.Draw);
        var s = row.Step;
        w.Write(s.Accepted);
        w.Write(s.AcceptanceProbability);
        w.Write(s.LogDensity);
        w.Write(s.StepSize);
        w.Write(s.EnergyError);
        w.Write(s.IntegrationSteps);
        w.Write(s.GradientEvaluations);
        w.Write(s.DensityEvaluations);
        w.Write(s.Divergent);
        w.Write(s.Energy.HasValue);
        w.Write(s.Energy ?? 0);
    }

    private static DrawStats ReadStats(BinaryReader r, int version) => new(r.ReadInt64(), new StepInfo
    {
        Accepted = r.ReadBoolean(),
        AcceptanceProbability = r.ReadDouble(),
        LogDensity = r.ReadDouble(),
        StepSize = r.ReadDouble(),
        EnergyError = r.ReadDouble(),
        IntegrationSteps = r.ReadInt32(),
        GradientEvaluations = r.ReadInt32(),
        DensityEvaluations = r.ReadInt32(),
        Divergent = r.ReadBoolean(),
        Energy = version >= 2 ? ReadEnergy(r) : null,
    });

    private static double? ReadEnergy(BinaryReader r)
    {
        var has = r.ReadBoolean();
        var energy = r.ReadDouble();
        return has ? energy : null;
    }
}
