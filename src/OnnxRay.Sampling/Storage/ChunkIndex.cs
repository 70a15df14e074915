using System.Text.Json;

namespace OnnxRay.Sampling.Storage;

/// <summary>
/// <c>chain-K/chunks.json</c>: the committed chunks of one chain. Readers trust only the chunks listed here
/// (a chunk file written after the last index update, e.g. just before a crash, is ignored and later rewritten).
/// </summary>
public sealed record ChunkIndex
{
    public const string FileName = "chunks.json";

    public int FormatVersion { get; init; } = 1;
    public int Chain { get; init; }
    public int Dimension { get; init; }
    public string Dtype { get; init; } = "<f4";

    /// <summary>True once the chain has stored all its draws.</summary>
    public bool Completed { get; init; }

    public IReadOnlyList<ChunkEntry> Chunks { get; init; } = [];

    /// <summary>Draws in the committed chunks.</summary>
    public long DrawCount => Chunks.Count == 0 ? 0 : Chunks[^1].FirstDraw + Chunks[^1].DrawCount;

    /// <summary>Byte length of stats.csv that belongs to committed chunks (the header alone before the first chunk).</summary>
    /// <summary>Bytes of stats.csv that the committed chunks cover; 0 before the first commit, when the header alone is
    /// there (and may be an older version's: resuming rewrites it).</summary>
    public long CommittedStatsLength => Chunks.Count == 0 ? 0 : Chunks[^1].StatsEnd;

    internal void Write(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, RunManifest.Json));

    internal static ChunkIndex Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ChunkIndex>(File.ReadAllBytes(path), RunManifest.Json)
                   ?? throw new RunFolderException(path, "chunk index is empty.");
        }
        catch (JsonException e)
        {
            throw new RunFolderException(path, $"chunk index is not valid JSON: {e.Message}", e);
        }
    }
}

/// <summary>One committed chunk: draws [FirstDraw, FirstDraw + DrawCount) in <see cref="File"/>, and its stats rows.</summary>
/// <param name="File">File name inside the chain folder (e.g. draws-0003.npy).</param>
/// <param name="FirstDraw">Index of the chunk's first stored draw in the chain.</param>
/// <param name="DrawCount">Rows in the chunk.</param>
/// <param name="Sha256">SHA-256 of the whole .npy file.</param>
/// <param name="StatsEnd">Byte offset in stats.csv just past this chunk's rows.</param>
/// <param name="StatsSha256">SHA-256 of this chunk's rows in stats.csv.</param>
public sealed record ChunkEntry(string File, long FirstDraw, int DrawCount, string Sha256, long StatsEnd, string StatsSha256);
