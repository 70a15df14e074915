using ScottPlot;

namespace OnnxRay.Sampling.Plots;

/// <summary>Shared plumbing of the PNG plots: size checks, chain colours, saving.</summary>
internal static class PlotOutput
{
    private static readonly IPalette ChainPalette = new ScottPlot.Palettes.Category10();

    public static Color ChainColor(int chain) => ChainPalette.GetColor(chain);

    public static void CheckSize(int width, int height)
    {
        if (width < 100 || height < 100) throw new ArgumentOutOfRangeException(nameof(width), $"{width}×{height}: plots need at least 100×100 pixels");
    }

    /// <summary>Writes the plot as PNG, creating the folder if needed, and returns the full path.</summary>
    public static string Save(Plot plot, string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        plot.SavePng(full, width, height);
        return full;
    }
}
