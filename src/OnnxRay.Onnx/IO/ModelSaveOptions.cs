namespace OnnxRay.Onnx.IO;

/// <summary>How <see cref="OnnxModel.Save"/> lays out tensor data.</summary>
public sealed record ModelSaveOptions
{
    /// <summary>
    /// Initializers of the main graph whose data takes at least this many bytes go to one side file next to the
    /// model; null keeps every tensor inside the .onnx file (external tensors of the source model are inlined).
    /// </summary>
    public long? ExternalDataThresholdBytes { get; init; }

    /// <summary>File name (no folders) of the side file; default "&lt;model file name&gt;.data".</summary>
    public string? ExternalDataFileName { get; init; }

    /// <summary>Offsets of tensors in the side file are multiples of this (4096 lets readers memory-map them).</summary>
    public int Alignment { get; init; } = 4096;

    /// <summary>Every tensor to one side file, whatever its size.</summary>
    public static ModelSaveOptions AllExternal { get; } = new() { ExternalDataThresholdBytes = 0 };
}
