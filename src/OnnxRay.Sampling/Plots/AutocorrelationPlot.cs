using OnnxRay.Sampling.Diagnostics;
using ScottPlot;

namespace OnnxRay.Sampling.Plots;

/// <summary>Autocorrelation plot: normalised ACF ρ̂(t) against lag t, one line per chain.</summary>
public static class AutocorrelationPlot
{
    /// <summary>Writes the ACFs of <paramref name="chains"/> up to <paramref name="maxLag"/> to a PNG file and returns its path.</summary>
    public static string Write(IReadOnlyList<double[]> chains, string path, string title, int maxLag = 100, int width = 800, int height = 400)
    {
        PlotOutput.CheckSize(width, height);
        ArgumentNullException.ThrowIfNull(chains);
        if (maxLag < 1) throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, "must be at least 1");
        var plot = new Plot();
        var lagLimit = 0;
        for (var c = 0; c < chains.Count; c++)
        {
            var acf = Autocovariance.Autocorrelation(chains[c]);
            var lags = Math.Min(maxLag + 1, acf.Length);
            lagLimit = Math.Max(lagLimit, lags - 1);
            var xs = Enumerable.Range(0, lags).Select(t => (double)t).ToArray();
            var line = plot.Add.Scatter(xs, acf.AsSpan(0, lags).ToArray());
            line.Color = PlotOutput.ChainColor(c);
            line.MarkerSize = lags <= 60 ? 4 : 0;
            line.LegendText = $"chain {c}";
        }
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Gray;
        zero.LinePattern = LinePattern.Dashed;
        plot.Title(title);
        plot.XLabel("lag");
        plot.YLabel("autocorrelation");
        plot.Axes.SetLimits(0, Math.Max(1, lagLimit), -0.25, 1.05);
        if (chains.Count <= 12) plot.ShowLegend(Alignment.UpperRight);
        return PlotOutput.Save(plot, path, width, height);
    }
}
