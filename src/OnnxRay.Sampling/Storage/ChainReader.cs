using System.IO.MemoryMappedFiles;
using System.Text;
using OnnxRay.Onnx.Data;

namespace OnnxRay.Sampling.Storage;

/// <summary>
/// Read access to one chain's committed draws and stats. Chunks are memory-mapped on first use; only chunks listed
/// in the chain's index are visible. Not thread-safe; dispose to release the mappings.
/// </summary>
public sealed class ChainReader : IDisposable
{
    private readonly string _folder;
    private readonly ChunkIndex _index;
    private readonly int[] _headerLengths;
    private readonly MappedChunk?[] _mapped;

    internal ChainReader(string runFolder, int chain, ChunkIndex index, int[] headerLengths, bool isStarted = true)
    {
        IsStarted = isStarted;
        _folder = RunLayout.ChainFolder(runFolder, chain);
        ChainIndex = chain;
        _index = index;
        _headerLengths = headerLengths;
        _mapped = new MappedChunk?[index.Chunks.Count];
        Precision = RunLayout.Precision(index.Dtype, Path.Combine(_folder, ChunkIndex.FileName));
    }

    public int ChainIndex { get; }

    /// <summary>False when the chain's folder does not exist yet (a shared run folder whose task for this chain has not started).</summary>
    public bool IsStarted { get; }

    /// <summary>Length D of one draw.</summary>
    public int Dimension => _index.Dimension;

    public DrawPrecision Precision { get; }

    /// <summary>Draws in committed chunks.</summary>
    public long DrawCount => _index.DrawCount;

    /// <summary>True when the chain has stored all the draws the manifest asks for.</summary>
    public bool IsComplete => _index.Completed;

    public IReadOnlyList<ChunkEntry> Chunks => _index.Chunks;

    /// <summary>Full path of a committed chunk file.</summary>
    public string ChunkPath(int chunk) => Path.Combine(_folder, _index.Chunks[chunk].File);

    /// <summary>Copies draw <paramref name="draw"/> (float16 or bfloat16 widened to float32) into <paramref name="destination"/> (length D).</summary>
    public unsafe void ReadDraw(long draw, Span<float> destination)
    {
        if ((ulong)draw >= (ulong)DrawCount) throw new ArgumentOutOfRangeException(nameof(draw), $"chain {ChainIndex} has {DrawCount} committed draws.");
        if (destination.Length < Dimension) throw new ArgumentException($"needs room for {Dimension} values.", nameof(destination));
        var chunk = FindChunk(draw);
        var mapped = _mapped[chunk] ??= MappedChunk.Open(ChunkPath(chunk));
        var row = draw - _index.Chunks[chunk].FirstDraw;
        var offset = _headerLengths[chunk] + row * Dimension * RunLayout.ItemSize(Precision);
        var source = mapped.Pointer + offset;
        switch (Precision)
        {
            case DrawPrecision.Float32:
                new ReadOnlySpan<float>(source, Dimension).CopyTo(destination);
                return;
            case DrawPrecision.BFloat16:
                var words = new ReadOnlySpan<ushort>(source, Dimension);
                for (var i = 0; i < words.Length; i++) destination[i] = BFloat16Bits.ToSingle(words[i]);
                return;
            default:
                var halves = new ReadOnlySpan<Half>(source, Dimension);
                for (var i = 0; i < halves.Length; i++) destination[i] = (float)halves[i];
                return;
        }
    }

    /// <summary>Draw <paramref name="draw"/> as a new array.</summary>
    public float[] ReadDraw(long draw)
    {
        var result = new float[Dimension];
        ReadDraw(draw, result);
        return result;
    }

    /// <summary>All committed draws in order (one array per draw; constant memory when consumed as a stream).</summary>
    public IEnumerable<float[]> ReadDraws()
    {
        for (long i = 0; i < DrawCount; i++) yield return ReadDraw(i);
    }

    /// <summary>The stats rows of the committed draws.</summary>
    public IReadOnlyList<DrawStats> ReadStats()
    {
        var path = Path.Combine(_folder, DrawStats.FileName);
        var committed = _index.CommittedStatsLength;
        var bytes = new byte[committed];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            if (stream.Length < committed) throw new RunFolderException(path, $"is {stream.Length} bytes, shorter than the {committed} bytes its chunks committed.");
            stream.ReadExactly(bytes);
        }
        var lines = Encoding.ASCII.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var result = new List<DrawStats>(Math.Max(0, lines.Length - 1));
        for (var i = 1; i < lines.Length; i++) result.Add(DrawStats.Parse(lines[i], path, i + 1));
        return result;
    }

    public void Dispose()
    {
        for (var i = 0; i < _mapped.Length; i++)
        {
            _mapped[i]?.Dispose();
            _mapped[i] = null;
        }
    }

    private int FindChunk(long draw)
    {
        int lo = 0, hi = _index.Chunks.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_index.Chunks[mid].FirstDraw <= draw) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>Reads and checks a chunk's npy header; returns the offset of its data.</summary>
    internal static int CheckChunkHeader(string path, ChunkEntry entry, int dimension, string dtype)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var precision = RunLayout.Precision(dtype, path);
            var expectedDtype = RunLayout.FileDtype(precision);
            var (fileDtype, shape, headerLength) = NpyFormat.ReadHeader(stream, path);
            if (fileDtype != expectedDtype || shape.Length != 2 || shape[0] != entry.DrawCount || shape[1] != dimension)
                throw new RunFolderException(path, $"chunk holds {fileDtype} [{string.Join(",", shape)}], expected {expectedDtype} [{entry.DrawCount},{dimension}].");
            var itemSize = RunLayout.ItemSize(precision);
            if (stream.Length != headerLength + (long)entry.DrawCount * dimension * itemSize)
                throw new RunFolderException(path, $"chunk is {stream.Length} bytes, expected {headerLength + (long)entry.DrawCount * dimension * itemSize}.");
            return headerLength;
        }
        catch (RunFolderException) { throw; }
        catch (Exception e) when (e is IOException or Onnx.Errors.OnnxRayException)
        {
            throw new RunFolderException(path, $"chunk is unreadable: {e.Message}", e);
        }
    }

    private sealed unsafe class MappedChunk : IDisposable
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;

        private MappedChunk(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer)
        {
            _file = file;
            _view = view;
            Pointer = pointer;
        }

        public byte* Pointer { get; }

        public static MappedChunk Open(string path)
        {
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new MappedChunk(file, view, pointer + view.PointerOffset);
        }

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
