using OnnxRay.Sampling.Storage;

namespace OnnxRay.Hosting.Tests.Support;

/// <summary>Copies of a run folder that a test may damage without touching the shared fixture.</summary>
public static class RunCopies
{
    public static void Copy(string source, string destination)
    {
        foreach (var dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, dir)));
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
    }

    /// <summary>Flips one byte in the data (past the npy header) of chain 0's first chunk; returns the chunk's path.</summary>
    public static string CorruptFirstChunk(string runFolder)
    {
        string chunk;
        using (var run = RunFolder.Open(runFolder)) chunk = run.Chains[0].ChunkPath(0);
        using var stream = new FileStream(chunk, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = stream.Length - 3;
        var b = stream.ReadByte();
        stream.Position = stream.Length - 3;
        stream.WriteByte((byte)(b ^ 0x40));
        return chunk;
    }
}
