using OnnxRay.Sampling.Diagnostics;
using ScottPlot;

namespace OnnxRay.Sampling.Plots;

/// <summary>Trace plot: draw value against iteration, one line per chain.</summary>
public static class TracePlot
{
    /// <summary>Writes the trace of <paramref name="chains"/> ([chains][draws]) to a PNG file and returns its path.</summary>
    public static string Write(IReadOnlyList<double[]> chains, string path, string title, int width = 1000, int height = 400)
    {
        PlotOutput.CheckSize(width, height);
        ArgumentNullException.ThrowIfNull(chains);
        var plot = new Plot();
        for (var c = 0; c < chains.Count; c++)
        {
            var signal = plot.Add.Signal(chains[c]);
            signal.Color = PlotOutput.ChainColor(c).WithAlpha(0.75);
            signal.LineWidth = 1;
            signal.LegendText = $"chain {c}";
        }
        plot.Title(title);
        plot.XLabel("iteration");
        plot.YLabel("value");
        if (chains.Count <= 12) plot.ShowLegend(Alignment.UpperRight);
        return PlotOutput.Save(plot, path, width, height);
    }
}
