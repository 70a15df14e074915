using System.Globalization;

namespace OnnxRay.Sampling.Storage;

/// <summary>File names inside a run folder.</summary>
public static class RunLayout
{
    public const string ManifestFileName = "manifest.json";
    public const string InitialPositionFileName = "initial.npy";
    public const string CheckpointFileName = "checkpoint.bin";

    public static string ManifestPath(string runFolder) => Path.Combine(runFolder, ManifestFileName);
    public static string InitialPositionPath(string runFolder) => Path.Combine(runFolder, InitialPositionFileName);
    public static string ChainFolder(string runFolder, int chain) => Path.Combine(runFolder, "chain-" + chain.ToString(CultureInfo.InvariantCulture));
    public static string ChunkFileName(int chunkNumber) => "draws-" + chunkNumber.ToString("D4", CultureInfo.InvariantCulture) + ".npy";
    public static string CheckpointPath(string runFolder, int chain) => Path.Combine(ChainFolder(runFolder, chain), CheckpointFileName);
    public static string StatsPath(string runFolder, int chain) => Path.Combine(ChainFolder(runFolder, chain), DrawStats.FileName);
    public static string ChunkIndexPath(string runFolder, int chain) => Path.Combine(ChainFolder(runFolder, chain), ChunkIndex.FileName);

    /// <summary>numpy dtype string for a precision.</summary>
    public static string Dtype(DrawPrecision precision) => precision == DrawPrecision.Float16 ? "<f2" : "<f4";

    public static DrawPrecision Precision(string dtype, string fileForErrors) => dtype switch
    {
        "<f4" => DrawPrecision.Float32,
        "<f2" => DrawPrecision.Float16,
        _ => throw new RunFolderException(fileForErrors, $"unsupported draw dtype '{dtype}' (expected '<f4' or '<f2')."),
    };
}
