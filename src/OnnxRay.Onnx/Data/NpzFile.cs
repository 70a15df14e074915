using System.IO.Compression;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Data;

/// <summary>
/// Reads and writes numpy .npz archives: a zip of .npy members (stored or deflated), one per named array
/// (member "x.npy" holds array "x"), as written by np.savez / np.savez_compressed.
/// </summary>
public static class NpzFile
{
    /// <summary>Reads every array of an archive, keyed by name (member name without ".npy"), in archive order.</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        if (!File.Exists(path)) throw new OnnxFormatException(path, "npz file not found.");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return Read(zip, path);
        }
        catch (InvalidDataException e)
        {
            throw new OnnxFormatException(path, "not a valid npz (zip) archive: " + e.Message, e);
        }
    }

    /// <summary>Reads every array of an archive from a stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(Stream stream, string sourceName)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            return Read(zip, sourceName);
        }
        catch (InvalidDataException e)
        {
            throw new OnnxFormatException(sourceName, "not a valid npz (zip) archive: " + e.Message, e);
        }
    }

    private static Dictionary<string, NpyArray> Read(ZipArchive zip, string sourceName)
    {
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/')) continue;
            var name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
            using var member = entry.Open();
            // Deflate streams are forward-only; ReadExactly handles short reads.
            result[name] = NpyFormat.Read(member, $"{sourceName}[{entry.FullName}]");
        }
        return result;
    }

    /// <summary>Writes the arrays as an npz archive (<paramref name="compress"/>: deflated members, like np.savez_compressed).</summary>
    public static void Write(string path, IReadOnlyDictionary<string, NpyArray> arrays, bool compress = false)
    {
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
            Write(file, arrays, compress);
        // Written then renamed, so a crash never leaves a torn archive under the final name.
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes the arrays as an npz archive into a stream.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, NpyArray> arrays, bool compress = false)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, array) in arrays)
        {
            var entry = zip.CreateEntry(name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var member = entry.Open();
            NpyFormat.Write(member, array);
        }
    }
}
