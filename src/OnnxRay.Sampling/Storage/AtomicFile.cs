namespace OnnxRay.Sampling.Storage;

/// <summary>
/// Write-then-rename: the content goes to <c>NAME.tmp</c> in the same folder, is flushed to the disk, and is then
/// renamed over NAME. A crash leaves either the old file or the new one, never a torn one.
/// </summary>
internal static class AtomicFile
{
    public const string TempSuffix = ".tmp";

    public static void Write(string path, Action<FileStream> write)
    {
        var temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Removes temp files left by an earlier crash.</summary>
    public static void DeleteStaleTemps(string folder)
    {
        foreach (var temp in Directory.EnumerateFiles(folder, "*" + TempSuffix)) File.Delete(temp);
    }
}
