using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Driver;

/// <summary>The schedule and storage settings of a run (everything here is recorded in the manifest).</summary>
public sealed record SamplingRunSettings
{
    /// <summary>Number of chains K.</summary>
    public int Chains { get; init; } = 4;

    /// <summary>Warm-up (adaptation) transitions per chain W; not stored.</summary>
    public int Warmup { get; init; } = 1000;

    /// <summary>Stored draws per chain N. The chain takes N × <see cref="Thin"/> sampling transitions.</summary>
    public int Draws { get; init; } = 1000;

    /// <summary>Keep one transition in <see cref="Thin"/>.</summary>
    public int Thin { get; init; } = 1;

    /// <summary>Run seed; chain k uses ChainRandom.ForChain(Seed, k).</summary>
    public ulong Seed { get; init; }

    /// <summary>Stored draws per .npy chunk file (also the size of the in-memory buffer: ChunkSize × D floats per chain).</summary>
    public int ChunkSize { get; init; } = 100;

    /// <summary>Also checkpoint every this many transitions (0: only at chunk commits, end of warm-up and interruption).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Element type of the stored draws.</summary>
    public DrawPrecision Precision { get; init; } = DrawPrecision.Float32;

    /// <summary>Standard deviation of Gaussian jitter added to the initial position, per chain (0: all chains start at the same point).</summary>
    public double InitialJitter { get; init; }

    /// <summary>Throws <see cref="RunSettingsException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Chains < 1) throw new RunSettingsException("chains", $"must be at least 1 (got {Chains}).");
        if (Warmup < 0) throw new RunSettingsException("warmup", $"must be ≥ 0 (got {Warmup}).");
        if (Draws < 0) throw new RunSettingsException("draws", $"must be ≥ 0 (got {Draws}).");
        if (Thin < 1) throw new RunSettingsException("thin", $"must be at least 1 (got {Thin}).");
        if (ChunkSize < 1) throw new RunSettingsException("chunk-size", $"must be at least 1 (got {ChunkSize}).");
        if (CheckpointEvery < 0) throw new RunSettingsException("checkpoint-every", $"must be ≥ 0 (got {CheckpointEvery}).");
        if (!double.IsFinite(InitialJitter) || InitialJitter < 0) throw new RunSettingsException("jitter", $"must be a finite number ≥ 0 (got {InitialJitter}).");
        if (!Enum.IsDefined(Precision)) throw new RunSettingsException("precision", $"unknown precision {Precision}.");
    }
}
