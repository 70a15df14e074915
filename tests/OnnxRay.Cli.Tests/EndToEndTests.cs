using System.Globalization;
using System.Text.Json;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests;

/// <summary>onnxray sample → diagnose → predict, end to end, as real processes on the bundled data.</summary>
[Collection(CliCollection.Name)]
public sealed class EndToEndTests(BostonRunFixture boston)
{
    [Fact]
    public void Boston_csv_sample_diagnose_predict()
    {
        var run = boston.RunFolder;
        Assert.Contains("Done:", boston.SampleResult.StdOut);

        // Run folder layout.
        Assert.True(File.Exists(Path.Combine(run, "manifest.json")));
        Assert.True(File.Exists(Path.Combine(run, "initial.npy")));
        using (var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "manifest.json"))))
            Assert.Equal(BostonRunFixture.Chains, manifest.RootElement.GetProperty("chains").GetInt32());
        for (var k = 0; k < BostonRunFixture.Chains; k++)
        {
            var chain = Path.Combine(run, $"chain-{k}");
            var chunks = Enumerable.Range(0, BostonRunFixture.Draws / BostonRunFixture.ChunkSize).Select(i => $"draws-{i:D4}.npy").ToArray();
            Assert.Equal(chunks, Directory.GetFiles(chain, "draws-*.npy").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
            Assert.True(File.Exists(Path.Combine(chain, "checkpoint.bin")));
            using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(chain, "chunks.json")));
            var entries = index.RootElement.GetProperty("chunks").EnumerateArray().ToArray();
            Assert.Equal(chunks.Length, entries.Length);
            Assert.True(index.RootElement.GetProperty("completed").GetBoolean());
            foreach (var e in entries) Assert.Matches("^[0-9a-f]{64}$", e.GetProperty("sha256").GetString());
            var stats = File.ReadAllLines(Path.Combine(chain, "stats.csv"));
            Assert.Equal(1 + BostonRunFixture.Draws, stats.Length); // header + one row per stored draw
        }

        // diagnose: diagnostics.json with R̂/ESS per quantity, and plots.
        var diag = CliTool.RunOk("diagnose", run);
        var diagnosticsPath = Path.Combine(run, "diagnostics.json");
        Assert.True(File.Exists(diagnosticsPath), diag.ToString());
        using (var d = JsonDocument.Parse(File.ReadAllBytes(diagnosticsPath)))
        {
            var root = d.RootElement;
            Assert.Equal(BostonRunFixture.Chains, root.GetProperty("chains").GetInt32());
            Assert.Equal(BostonRunFixture.Draws, root.GetProperty("draws_per_chain").GetInt32());
            var quantities = root.GetProperty("quantities").EnumerateArray().ToArray();
            Assert.NotEmpty(quantities);
            var names = quantities.Select(q => q.GetProperty("name").GetString()!).ToArray();
            Assert.Contains(names, n => n.Contains("log", StringComparison.OrdinalIgnoreCase)); // log p
            Assert.Contains(names, n => n.StartsWith("proj", StringComparison.Ordinal));
            foreach (var q in quantities)
            {
                var rhat = q.GetProperty("rhat");
                var ess = q.GetProperty("ess_bulk");
                Assert.True(q.TryGetProperty("ess_tail", out _), q.ToString());
                // With 30 draws per chain R̂ may be large but must be a number ≥ ~1 when finite; ESS is positive.
                if (rhat.ValueKind == JsonValueKind.Number) Assert.True(rhat.GetDouble() > 0.9, q.ToString());
                if (ess.ValueKind == JsonValueKind.Number) Assert.True(ess.GetDouble() > 0, q.ToString());
            }
            Assert.Contains(quantities, q => q.GetProperty("rhat").ValueKind == JsonValueKind.Number && double.IsFinite(q.GetProperty("rhat").GetDouble()));
            var plots = root.GetProperty("plots").EnumerateArray().Select(p => p.GetString()!).ToArray();
            Assert.NotEmpty(plots);
            foreach (var p in plots)
            {
                var path = Path.IsPathRooted(p) ? p : Path.Combine(run, "plots", p);
                if (!File.Exists(path)) path = Path.Combine(run, p);
                Assert.True(File.Exists(path), $"plot {p} listed in diagnostics.json does not exist");
                AssertPng(path);
            }
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "plots"), "*.png"));
        }

        // predict on the held-out split: columns and metrics.
        var outCsv = Path.Combine(boston.Root, "pred.csv");
        var pred = CliTool.RunOk("predict", run, "--data", BostonRunFixture.TestCsv, "--target-column", "target", "--out", outCsv);
        var lines = File.ReadAllLines(outCsv);
        var header = lines[0].Split(',');
        foreach (var col in new[] { "mean", "std", "aleatoric_std", "epistemic_std", "q05", "q50", "q95" }) Assert.Contains(col, header);
        var testRows = File.ReadAllLines(BostonRunFixture.TestCsv).Skip(1).Count(l => l.Length > 0);
        Assert.Equal(testRows, lines.Length - 1);
        var std = Array.IndexOf(header, "std");
        var q05 = Array.IndexOf(header, "q05");
        var q95 = Array.IndexOf(header, "q95");
        foreach (var line in lines.Skip(1))
        {
            var v = line.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.All(v, x => Assert.True(double.IsFinite(x), line));
            Assert.True(v[std] > 0, line);
            Assert.True(v[q05] <= v[q95], line);
        }
        var metricsPath = Path.ChangeExtension(outCsv, ".metrics.json");
        using var metrics = JsonDocument.Parse(File.ReadAllBytes(metricsPath));
        var m = metrics.RootElement;
        Assert.Equal("regression", m.GetProperty("task").GetString());
        Assert.Equal(testRows, m.GetProperty("examples").GetInt32());
        var rmse = m.GetProperty("rmse").GetDouble();
        var nll = m.GetProperty("nll").GetDouble();
        // The boston target is standardised: predicting 0 gives RMSE ≈ 1; the pretrained MLP's posterior must beat that.
        Assert.True(double.IsFinite(rmse) && rmse > 0 && rmse < 1, $"rmse {rmse}\n{pred}");
        Assert.True(double.IsFinite(nll) && nll < 3, $"nll {nll}\n{pred}");
    }

    [Fact]
    public void Digits_npz_classification_sample_diagnose_predict()
    {
        var root = CliTool.NewTempFolder("digits");
        try
        {
            var run = Path.Combine(root, "run");
            var data = Path.Combine(RepositoryPaths.Models, "data", "digits");
            CliTool.RunOk("sample", Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx"), "--data", Path.Combine(data, "train.npz"),
                "--likelihood", "categorical", "--prior", "gaussian-fanin:1", "--sampler", "hmc", "--sampler-option", "steps=4",
                "--chains", "2", "--warmup", "10", "--draws", "10", "--chunk-size", "5", "--seed", "5", "--max-parallel", "2", "--out", run);
            Assert.Equal(2, Directory.GetFiles(Path.Combine(run, "chain-1"), "draws-*.npy").Length);

            CliTool.RunOk("diagnose", run, "--projections", "2", "--probe-examples", "2");
            using (var d = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "diagnostics.json"))))
            {
                var quantities = d.RootElement.GetProperty("quantities").EnumerateArray().ToArray();
                Assert.Contains(quantities, q => q.GetProperty("name").GetString()!.StartsWith("out", StringComparison.Ordinal));
                Assert.All(quantities, q => { Assert.True(q.TryGetProperty("rhat", out _)); Assert.True(q.TryGetProperty("ess_bulk", out _)); });
            }
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "plots"), "*.png"));

            var outCsv = Path.Combine(root, "pred.csv");
            CliTool.RunOk("predict", run, "--data", Path.Combine(data, "test.npz"), "--out", outCsv);
            var lines = File.ReadAllLines(outCsv);
            var header = lines[0].Split(',');
            foreach (var col in new[] { "predicted_class", "confidence", "predictive_entropy", "expected_entropy", "mutual_information" })
                Assert.Contains(col, header);
            var probabilityColumns = header.Select((h, i) => (h, i)).Where(x => x.h.StartsWith("probabilities_", StringComparison.Ordinal)).Select(x => x.i).ToArray();
            Assert.Equal(10, probabilityColumns.Length);
            foreach (var line in lines.Skip(1))
            {
                var v = line.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(1.0, probabilityColumns.Sum(i => v[i]), 1e-6);
            }

            using var metrics = JsonDocument.Parse(File.ReadAllBytes(Path.ChangeExtension(outCsv, ".metrics.json")));
            var m = metrics.RootElement;
            Assert.Equal("classification", m.GetProperty("task").GetString());
            Assert.Equal(lines.Length - 1, m.GetProperty("examples").GetInt32());
            var accuracy = m.GetProperty("accuracy").GetDouble();
            var ece = m.GetProperty("ece").GetDouble();
            var nll = m.GetProperty("nll").GetDouble();
            // The CNN is pretrained, so its posterior near the start point is far better than chance (10%).
            Assert.True(accuracy > 0.5 && accuracy <= 1, $"accuracy {accuracy}");
            Assert.True(double.IsFinite(ece) && ece >= 0 && ece <= 1, $"ece {ece}");
            Assert.True(double.IsFinite(nll) && nll > 0 && nll < Math.Log(10), $"nll {nll}");
            AssertPng(m.GetProperty("reliability_diagram").GetString()!);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    internal static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 100, $"{path} is too small to be an image");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
    }
}
