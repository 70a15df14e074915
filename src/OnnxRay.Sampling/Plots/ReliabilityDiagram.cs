using OnnxRay.Onnx.Prediction.Aggregation;
using ScottPlot;

namespace OnnxRay.Sampling.Plots;

/// <summary>
/// Reliability diagram: accuracy per confidence bin (bars over equal-width bins on [0, 1]) against the diagonal of
/// perfect calibration, with each bin's count printed above its bar and mean confidence marked.
/// </summary>
public static class ReliabilityDiagram
{
    /// <summary>
    /// Writes the diagram for M equal-width bins (M = <paramref name="binCounts"/>.Length) and returns the path.
    /// Empty bins (count 0, NaN accuracy) are left blank.
    /// </summary>
    public static string Write(double[] binConfidence, double[] binAccuracy, int[] binCounts, string path, string title, int width = 600, int height = 600)
    {
        PlotOutput.CheckSize(width, height);
        ArgumentNullException.ThrowIfNull(binCounts);
        var m = binCounts.Length;
        if (m == 0 || binConfidence.Length != m || binAccuracy.Length != m)
            throw new ArgumentException($"confidence ({binConfidence.Length}), accuracy ({binAccuracy.Length}) and count ({m}) arrays must be equally long and non-empty");

        var plot = new Plot();
        var bars = new List<Bar>();
        var gaps = new List<Bar>();
        var width1 = 1.0 / m;
        for (var b = 0; b < m; b++)
        {
            if (binCounts[b] == 0 || double.IsNaN(binAccuracy[b])) continue;
            var center = (b + 0.5) * width1;
            bars.Add(new Bar { Position = center, Value = binAccuracy[b], Size = width1 * 0.95, FillColor = Colors.SteelBlue, LineWidth = 0 });
            if (!double.IsNaN(binConfidence[b]))
            {
                // the gap between accuracy and mean confidence, shaded
                gaps.Add(new Bar
                {
                    Position = center, ValueBase = binAccuracy[b], Value = binConfidence[b], Size = width1 * 0.95,
                    FillColor = Colors.OrangeRed.WithAlpha(0.35), LineWidth = 0,
                });
            }
            var label = plot.Add.Text(binCounts[b].ToString(), center, Math.Max(binAccuracy[b], double.IsNaN(binConfidence[b]) ? 0 : binConfidence[b]) + 0.01);
            label.LabelFontSize = 10;
            label.LabelAlignment = Alignment.LowerCenter;
        }
        var accuracyBars = plot.Add.Bars(bars);
        accuracyBars.LegendText = "accuracy";
        var gapBars = plot.Add.Bars(gaps);
        gapBars.LegendText = "gap to confidence";
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.Color = Colors.Black;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        plot.Title(title);
        plot.XLabel($"confidence ({m} bins; numbers = examples per bin)");
        plot.YLabel("accuracy");
        plot.Axes.SetLimits(0, 1, 0, 1.08);
        plot.ShowLegend(Alignment.UpperLeft);
        return PlotOutput.Save(plot, path, width, height);
    }

    /// <summary>Writes the diagram of <see cref="PredictiveMetrics.Calibration"/> bins, with the ECE in the title.</summary>
    public static string Write(ReliabilityBins bins, string path, string title, int width = 600, int height = 600) =>
        Write(bins.MeanConfidence, bins.Accuracy, bins.Counts, path, $"{title} (ECE {bins.ExpectedCalibrationError:F4}, M = {bins.BinCount})", width, height);
}
