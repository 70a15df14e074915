using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using OnnxRay.Onnx.Data;

namespace OnnxRay.Sampling.Storage;

/// <summary>
/// The single writer of one chain folder. Commit order for a chunk: the .npy file (temp + rename), its stats rows
/// (appended and flushed), the chunk index (temp + rename); the driver then writes the checkpoint. A crash between
/// any two of these leaves a folder that readers see consistently (they trust the index) and that resume repairs
/// (it truncates stats.csv and the index back to what the checkpoint had committed and regenerates the rest).
/// </summary>
internal sealed class ChainWriter
{
    private readonly string _folder;
    private readonly int _chain;
    private readonly int _dimension;
    private readonly DrawPrecision _precision;
    private readonly List<ChunkEntry> _chunks = [];
    private bool _completed;

    public ChainWriter(string runFolder, int chain, int dimension, DrawPrecision precision)
    {
        _folder = RunLayout.ChainFolder(runFolder, chain);
        _chain = chain;
        _dimension = dimension;
        _precision = precision;
    }

    public string Folder => _folder;
    public int CommittedChunks => _chunks.Count;
    public long CommittedDraws => _chunks.Count == 0 ? 0 : _chunks[^1].FirstDraw + _chunks[^1].DrawCount;
    public static long StatsHeaderLength => Encoding.ASCII.GetByteCount(DrawStats.Header);
    public long StatsLength => _chunks.Count == 0 ? StatsHeaderLength : _chunks[^1].StatsEnd;
    private string StatsPath => Path.Combine(_folder, DrawStats.FileName);
    private string IndexPath => Path.Combine(_folder, ChunkIndex.FileName);

    /// <summary>Creates an empty chain folder: header-only stats.csv and an empty index.</summary>
    public void CreateEmpty()
    {
        Directory.CreateDirectory(_folder);
        AtomicFile.WriteAllBytes(StatsPath, Encoding.ASCII.GetBytes(DrawStats.Header));
        WriteIndex();
    }

    /// <summary>
    /// Brings the folder back to exactly <paramref name="committedChunks"/> chunks (the state a checkpoint recorded):
    /// drops later index entries, truncates stats.csv, removes temp files. Chunk files beyond are overwritten later.
    /// </summary>
    public void RestoreCommitted(int committedChunks)
    {
        AtomicFile.DeleteStaleTemps(_folder);
        var index = ChunkIndex.Read(IndexPath);
        if (index.Chunks.Count < committedChunks)
            throw new RunFolderException(IndexPath, $"lists {index.Chunks.Count} chunks but the checkpoint says {committedChunks} were committed.");
        _chunks.Clear();
        _chunks.AddRange(index.Chunks.Take(committedChunks));
        _completed = false;
        if (committedChunks == 0)
        {
            // Nothing committed: start from this version's header (a run made before the energy column has a shorter one).
            AtomicFile.WriteAllBytes(StatsPath, Encoding.ASCII.GetBytes(DrawStats.Header));
            WriteIndex();
            return;
        }
        using (var stats = new FileStream(StatsPath, FileMode.Open, FileAccess.Write))
        {
            if (stats.Length < StatsLength)
                throw new RunFolderException(StatsPath, $"is {stats.Length} bytes but the committed chunks need {StatsLength}.");
            stats.SetLength(StatsLength);
            stats.Flush(flushToDisk: true);
        }
        WriteIndex();
    }

    /// <summary>Commits <paramref name="stats"/>.Count draws held row-major in <paramref name="rows"/> as the next chunk.</summary>
    public void CommitChunk(ReadOnlySpan<float> rows, IReadOnlyList<DrawStats> stats, bool completesChain)
    {
        var count = stats.Count;
        if (rows.Length != (long)count * _dimension) throw new ArgumentException("rows do not match the number of stats rows.");
        var fileName = RunLayout.ChunkFileName(_chunks.Count);
        var path = Path.Combine(_folder, fileName);
        string chunkHash;
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var temp = path + AtomicFile.TempSuffix;
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var header = new MemoryStream();
                NpyFormat.WriteHeader(header, RunLayout.FileDtype(_precision), [count, _dimension]);
                WriteHashed(stream, hash, header.GetBuffer().AsSpan(0, (int)header.Length));
                WriteRows(stream, hash, rows);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            chunkHash = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        var text = new StringBuilder();
        foreach (var row in stats) row.AppendTo(text);
        var statsBytes = Encoding.ASCII.GetBytes(text.ToString());
        long statsEnd;
        using (var file = new FileStream(StatsPath, FileMode.Open, FileAccess.Write))
        {
            // Write at the committed end, not the physical end: rows past it belong to no committed chunk.
            file.Position = StatsLength;
            file.Write(statsBytes);
            file.SetLength(file.Position);
            file.Flush(flushToDisk: true);
            statsEnd = file.Length;
        }

        _chunks.Add(new ChunkEntry(fileName, CommittedDraws, count, chunkHash, statsEnd, Sha256.OfBytes(statsBytes)));
        _completed = completesChain;
        WriteIndex();
    }

    /// <summary>Marks the chain complete without a new chunk (a run with zero draws).</summary>
    public void MarkCompleted()
    {
        _completed = true;
        WriteIndex();
    }

    public void WriteCheckpoint(ReadOnlySpan<byte> bytes) => AtomicFile.WriteAllBytes(Path.Combine(_folder, RunLayout.CheckpointFileName), bytes);

    private void WriteIndex() => new ChunkIndex
    {
        Chain = _chain,
        Dimension = _dimension,
        Dtype = RunLayout.Dtype(_precision),
        Completed = _completed,
        Chunks = _chunks.ToList(),
    }.Write(IndexPath);

    private void WriteRows(Stream stream, IncrementalHash hash, ReadOnlySpan<float> rows)
    {
        if (_precision == DrawPrecision.Float32)
        {
            // Bounded pieces keep the hash and write calls on reasonably sized buffers.
            const int piece = 1 << 18;
            for (var start = 0; start < rows.Length; start += piece)
                WriteHashed(stream, hash, MemoryMarshal.AsBytes(rows.Slice(start, Math.Min(piece, rows.Length - start))));
            return;
        }
        // Both 16-bit formats are converted in bounded pieces into one buffer of words.
        var words = new ushort[Math.Min(rows.Length, 1 << 18)];
        var bfloat16 = _precision == DrawPrecision.BFloat16;
        for (var start = 0; start < rows.Length; start += words.Length)
        {
            var n = Math.Min(words.Length, rows.Length - start);
            for (var i = 0; i < n; i++)
                words[i] = bfloat16 ? BFloat16Bits.FromSingle(rows[start + i]) : BitConverter.HalfToUInt16Bits((Half)rows[start + i]);
            WriteHashed(stream, hash, MemoryMarshal.AsBytes(words.AsSpan(0, n)));
        }
    }

    private static void WriteHashed(Stream stream, IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        hash.AppendData(bytes);
        stream.Write(bytes);
    }
}
