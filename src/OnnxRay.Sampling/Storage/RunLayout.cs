using System.Globalization;
using OnnxRay.Onnx.Data;

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

    /// <summary>The manifest's and chunk index's name for a precision: the numpy dtype, or "bfloat16" (which numpy lacks).</summary>
    public static string Dtype(DrawPrecision precision) => precision switch
    {
        DrawPrecision.Float16 => NpyDtypes.Float16,
        DrawPrecision.BFloat16 => BFloat16Dtype,
        _ => NpyDtypes.Float32,
    };

    /// <summary>The dtype in the chunk files' npy headers: bfloat16 words are stored as '&lt;u2'.</summary>
    public static string FileDtype(DrawPrecision precision) => precision == DrawPrecision.BFloat16 ? NpyDtypes.UInt16 : Dtype(precision);

    /// <summary>Bytes per stored coordinate.</summary>
    public static int ItemSize(DrawPrecision precision) => precision == DrawPrecision.Float32 ? 4 : 2;

    public const string BFloat16Dtype = "bfloat16";

    public static DrawPrecision Precision(string dtype, string fileForErrors) => dtype switch
    {
        NpyDtypes.Float32 => DrawPrecision.Float32,
        NpyDtypes.Float16 => DrawPrecision.Float16,
        BFloat16Dtype => DrawPrecision.BFloat16,
        _ => throw new RunFolderException(fileForErrors, $"unsupported draw dtype '{dtype}' (expected '<f4', '<f2' or 'bfloat16')."),
    };
}
