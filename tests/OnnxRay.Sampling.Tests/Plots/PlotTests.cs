using System.Buffers.Binary;
using OnnxRay.Abstractions;
using OnnxRay.Onnx.Prediction.Aggregation;
using OnnxRay.Sampling.Plots;

namespace OnnxRay.Sampling.Tests.Plots;

/// <summary>Each plot writes a valid PNG of the requested size (the files stay in the temp folder for a visual check).</summary>
public class PlotTests
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "onnxray-plot-tests");
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static double[][] Ar1Chains(int chains, int draws, double phi, double shiftLast = 0)
    {
        var random = new ChainRandom(12);
        var result = new double[chains][];
        for (var c = 0; c < chains; c++)
        {
            result[c] = new double[draws];
            for (var i = 1; i < draws; i++) result[c][i] = phi * result[c][i - 1] + Math.Sqrt(1 - phi * phi) * random.NextGaussian();
            if (c == chains - 1) for (var i = 0; i < draws; i++) result[c][i] += shiftLast;
        }
        return result;
    }

    private static void AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), path);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
        // the first chunk is IHDR: length(4) "IHDR"(4) width(4) height(4), big-endian
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
    }

    [Fact]
    public void TracePlotWritesAPng()
    {
        var path = TracePlot.Write(Ar1Chains(4, 1000, 0.9), Path.Combine(Folder, "trace.png"), "trace of x (AR(1), φ = 0.9)", 900, 350);
        AssertPng(path, 900, 350);
    }

    [Fact]
    public void AutocorrelationPlotWritesAPng()
    {
        var path = AutocorrelationPlot.Write(Ar1Chains(4, 2000, 0.8), Path.Combine(Folder, "nested", "acf.png"), "autocorrelation (φ = 0.8)", maxLag: 40);
        AssertPng(path, 800, 400);
    }

    [Fact]
    public void RankPlotWritesAPng()
    {
        var path = RankPlot.Write(Ar1Chains(4, 1000, 0.5, shiftLast: 0.7), Path.Combine(Folder, "rank.png"), "rank plot (chain 3 shifted)", bins: 20, width: 800, height: 600);
        AssertPng(path, 800, 600);
    }

    [Fact]
    public void ReliabilityDiagramWritesAPng()
    {
        // an over-confident classifier: accuracy = confidence − 0.1
        var random = new ChainRandom(5);
        const int n = 3000, classes = 3;
        var probabilities = new double[n * classes];
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            var logits = new[] { 2.5 * random.NextGaussian(), 0.0, 0.0 };
            var p = new double[classes];
            Softmax.Probabilities(logits, p);
            p.CopyTo(probabilities, i * classes);
            var best = Array.IndexOf(p, p.Max());
            labels[i] = random.NextDouble() < p.Max() - 0.1 ? best : (best + 1) % classes;
        }
        var bins = PredictiveMetrics.Calibration(probabilities, classes, labels, bins: 10);
        var path = ReliabilityDiagram.Write(bins, Path.Combine(Folder, "reliability.png"), "reliability");
        AssertPng(path, 600, 600);
    }

    [Fact]
    public void MismatchedReliabilityArraysAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ReliabilityDiagram.Write([0.5], [0.5, 0.4], [1], Path.Combine(Folder, "bad.png"), "bad"));
    }
}
