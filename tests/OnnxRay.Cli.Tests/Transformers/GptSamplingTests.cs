using System.Globalization;
using System.Text.Json;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests.Transformers;

/// <summary>
/// Ray tracing on a GPT-style transformer end to end as real processes: models/gpt_tiny.onnx on the token data, categorical
/// likelihood over [B,T,V] logits, minibatches of 16 sequences, 2 chains; then diagnose. A few dozen draws cannot show
/// convergence, so only what such a short run guarantees is asserted: finite log p, every draw stored, R̂/ESS computed,
/// and divergences not the norm.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class GptSamplingTests
{
    private const int Chains = 2;
    private const int Draws = 24;

    [Fact]
    public void Gpt_tiny_raytracing_minibatch_sample_and_diagnose()
    {
        var root = CliTool.NewTempFolder("gpt");
        try
        {
            var run = Path.Combine(root, "run");
            var sample = CliTool.RunOk(
                "sample", Path.Combine(RepositoryPaths.Models, "gpt_tiny.onnx"), "--data", Path.Combine(RepositoryPaths.Models, "data", "text", "train.npz"),
                "--likelihood", "categorical", "--prior", "gaussian:1", "--sampler", "raytracing", "--sampler-option", "max-steps=8",
                "--batch-size", "16", "--chains", Chains.ToString(), "--warmup", "16", "--draws", Draws.ToString(), "--chunk-size", "12",
                "--seed", "5", "--max-parallel", "2", "--out", run);
            Assert.Contains("Done:", sample.StdOut);

            var divergent = 0;
            for (var k = 0; k < Chains; k++)
            {
                var chain = Path.Combine(run, $"chain-{k}");
                Assert.Equal(2, Directory.GetFiles(chain, "draws-*.npy").Length);
                var stats = File.ReadAllLines(Path.Combine(chain, "stats.csv"));
                Assert.Equal(1 + Draws, stats.Length);
                var header = stats[0].Split(',');
                var logp = Array.FindIndex(header, h => h.Contains("log", StringComparison.OrdinalIgnoreCase));
                Assert.True(logp >= 0, stats[0]);
                foreach (var row in stats.Skip(1))
                    Assert.True(double.IsFinite(double.Parse(row.Split(',')[logp], CultureInfo.InvariantCulture)), row);
                var div = Array.FindIndex(header, h => h.Contains("diverg", StringComparison.OrdinalIgnoreCase));
                if (div >= 0) divergent += stats.Skip(1).Count(r => r.Split(',')[div] is "1" or "true" or "True");
            }
            Assert.True(divergent <= Chains * Draws / 2, $"{divergent} of {Chains * Draws} draws divergent");

            var diag = CliTool.RunOk("diagnose", run);
            using var d = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "diagnostics.json")));
            Assert.Equal(Chains, d.RootElement.GetProperty("chains").GetInt32());
            var quantities = d.RootElement.GetProperty("quantities").EnumerateArray().ToArray();
            Assert.NotEmpty(quantities);
            Assert.Contains(quantities, q => q.GetProperty("rhat").ValueKind == JsonValueKind.Number && double.IsFinite(q.GetProperty("rhat").GetDouble()));
            Assert.Contains(quantities, q => q.GetProperty("ess_bulk").ValueKind == JsonValueKind.Number && q.GetProperty("ess_bulk").GetDouble() > 0);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Inspect_reports_the_tied_embedding_of_gpt_tiny()
    {
        var result = CliTool.RunOk("inspect", Path.Combine(RepositoryPaths.Models, "gpt_tiny.onnx"));
        Assert.Contains("Tied:", result.StdOut);
        Assert.Contains("wte", result.StdOut);
    }
}
