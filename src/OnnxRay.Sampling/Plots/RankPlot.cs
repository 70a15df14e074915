using OnnxRay.Sampling.Diagnostics;
using ScottPlot;

namespace OnnxRay.Sampling.Plots;

/// <summary>
/// Rank plot (Vehtari et al. 2021): rank all draws jointly, then histogram each chain's ranks. With mixing chains
/// every histogram is flat; the dashed line marks the uniform count. Chains are stacked as rows.
/// </summary>
public static class RankPlot
{
    /// <summary>Writes the rank histograms of <paramref name="chains"/> to a PNG file and returns its path.</summary>
    public static string Write(IReadOnlyList<double[]> chains, string path, string title, int bins = 20, int width = 800, int height = 0)
    {
        ArgumentNullException.ThrowIfNull(chains);
        if (bins < 2) throw new ArgumentOutOfRangeException(nameof(bins), bins, "need at least two bins");
        if (height == 0) height = Math.Clamp(120 + 110 * chains.Count, 300, 1400);
        PlotOutput.CheckSize(width, height);
        var pooled = chains.SelectMany(c => c).ToArray();
        var ranks = RankNormalization.AverageRanks(pooled);
        var total = pooled.Length;

        var counts = new double[chains.Count][];
        var offset = 0;
        for (var c = 0; c < chains.Count; c++)
        {
            counts[c] = new double[bins];
            for (var i = 0; i < chains[c].Length; i++)
            {
                // ranks 1..S mapped to [0, bins)
                var bin = Math.Min(bins - 1, (int)((ranks[offset + i] - 1) / total * bins));
                counts[c][bin]++;
            }
            offset += chains[c].Length;
        }

        var rowHeight = Math.Max(1.0, counts.SelectMany(c => c).DefaultIfEmpty(1).Max()) * 1.15;
        var plot = new Plot();
        var bars = new List<Bar>();
        for (var c = 0; c < chains.Count; c++)
        {
            var baseLine = (chains.Count - 1 - c) * rowHeight; // chain 0 on top
            for (var b = 0; b < bins; b++)
            {
                bars.Add(new Bar
                {
                    Position = b + 0.5,
                    ValueBase = baseLine,
                    Value = baseLine + counts[c][b],
                    Size = 0.9,
                    FillColor = PlotOutput.ChainColor(c),
                    LineWidth = 0,
                });
            }
            var uniform = plot.Add.HorizontalLine(baseLine + (double)chains[c].Length / bins);
            uniform.Color = Colors.Black.WithAlpha(0.6);
            uniform.LinePattern = LinePattern.Dashed;
            uniform.LineWidth = 1;
            var label = plot.Add.Text($"chain {c}", bins + 0.3, baseLine + rowHeight * 0.45);
            label.LabelFontSize = 12;
            label.LabelAlignment = Alignment.MiddleLeft;
        }
        plot.Add.Bars(bars);
        plot.Title(title);
        plot.XLabel($"rank bin (of {bins}, over {total} pooled draws)");
        plot.YLabel("count per chain (dashed: uniform)");
        // rows are offset, so absolute tick values would mislead
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.Axes.SetLimits(0, bins + 2.5, 0, chains.Count * rowHeight);
        return PlotOutput.Save(plot, path, width, height);
    }
}
