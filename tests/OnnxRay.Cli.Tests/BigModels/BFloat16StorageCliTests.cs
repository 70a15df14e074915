using System.Globalization;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests.BigModels;

/// <summary>
/// <c>sample --precision bfloat16</c> → diagnose → predict: the same run as the shared float32 boston run (same seed and
/// settings) except for storage, so its predictions must agree with the float32 ones up to bfloat16 rounding of the weights.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class BFloat16StorageCliTests(BostonRunFixture boston)
{
    [Fact]
    public void Bfloat16_run_diagnoses_and_predicts_like_the_float32_run()
    {
        var root = CliTool.NewTempFolder("bf16");
        try
        {
            var run = Path.Combine(root, "run");
            CliTool.RunOk([.. BostonRunFixture.SampleArgs(run), "--precision", "bfloat16"]);
            Assert.Contains("\"bfloat16\"", File.ReadAllText(Path.Combine(run, "manifest.json")));
            CliTool.RunOk("diagnose", run);

            var rounded = Means(run, Path.Combine(root, "bf16.csv"));
            var exact = Means(boston.RunFolder, Path.Combine(root, "f32.csv"));
            Assert.Equal(exact.Length, rounded.Length);
            // Weights rounded to 8 significant bits move each prediction a little, never by much (the target is standardised).
            var differences = exact.Zip(rounded, (a, b) => Math.Abs(a - b)).ToArray();
            Assert.True(differences.Max() < 0.1, $"largest |Δ mean| {differences.Max()}");
            Assert.True(differences.Max() > 0, "bfloat16 storage left every prediction bit-identical: the draws were not rounded");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static double[] Means(string run, string outCsv)
    {
        CliTool.RunOk("predict", run, "--data", BostonRunFixture.TestCsv, "--target-column", "target", "--out", outCsv);
        var lines = File.ReadAllLines(outCsv);
        var mean = Array.IndexOf(lines[0].Split(','), "mean");
        return lines.Skip(1).Select(l => double.Parse(l.Split(',')[mean], CultureInfo.InvariantCulture)).ToArray();
    }
}
