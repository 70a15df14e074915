using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Prediction.Aggregation;
using OnnxRay.Sampling.Plots;
using OnnxRay.Sampling.Posterior;
using Spectre.Console;

namespace OnnxRay.Cli.Commands;

/// <summary>
/// <c>onnxray predict RUN/ --data X.npz|X.csv --out PRED.npz|PRED.csv [--draws M]</c>: posterior predictive aggregates per
/// example, and when the data has targets: NLL, accuracy or RMSE, ECE, Brier, interval coverage, a reliability diagram.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder written by 'onnxray sample'." };
        var data = new Option<string>("--data") { Description = "Inputs: .npz (one array per model input, optional 'target') or .csv.", Required = true };
        var targetColumn = new Option<string?>("--target-column") { Description = "CSV column holding targets (optional; enables metrics)." };
        var outPath = new Option<string>("--out") { Description = "Output .npz or .csv.", Required = true };
        var draws = new Option<int?>("--draws") { Description = "Use M draws, evenly thinned over all chains (default: all)." };
        var batch = new Option<int>("--batch-size") { Description = "Examples per forward pass.", DefaultValueFactory = _ => 256 };
        var bins = new Option<int>("--calibration-bins") { Description = "Equal-width confidence bins for ECE and the reliability diagram.", DefaultValueFactory = _ => PredictiveMetrics.DefaultCalibrationBins };
        var command = new Command("predict", "Posterior predictive means, spreads and uncertainties for new inputs; metrics when targets are given.")
        {
            run, data, targetColumn, outPath, draws, batch, bins,
        };
        command.SetAction(parse => CliAction.Run(() => Predict(parse.GetValue(run)!, parse.GetValue(data)!, parse.GetValue(targetColumn),
            parse.GetValue(outPath)!, parse.GetValue(draws), parse.GetValue(batch), parse.GetValue(bins))));
        return command;
    }

    private static int Predict(string runFolder, string dataPath, string? targetColumn, string outPath, int? maxDraws, int batchSize, int bins)
    {
        if (!outPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && !outPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new CliUsageException($"--out '{outPath}' must end in .npz or .csv.");
        using var posterior = RunPosterior.Open(runFolder, maxDraws, new PredictorOptions { BatchSize = batchSize });
        var task = posterior.Predictor.Task;
        var arrays = PosteriorProblem.LoadData(dataPath, posterior.Predictor.Model, targetColumn, task != PredictionTask.Regression).Arrays;
        var inputs = arrays.Where(a => a.Key != "target").ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        arrays.TryGetValue("target", out var target);

        var result = posterior.Predict(inputs, task == PredictionTask.Regression ? target?.ToDoubles() : null);
        var columns = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        var metrics = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["task"] = task.ToString().ToLowerInvariant(),
            ["draws"] = result.Draws,
            ["examples"] = result.Examples,
        };
        if (result.Classification is { } c) Classification(c, target, columns, metrics, outPath, bins);
        if (result.Regression is { } r) Regression(r, target, columns, metrics);

        if (outPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) NpzFile.Write(outPath, columns);
        else WriteCsv(outPath, columns);
        var metricsPath = Path.ChangeExtension(outPath, ".metrics.json");
        File.WriteAllText(metricsPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().Border(TableBorder.Simple).AddColumns("metric", "value");
        foreach (var (k, v) in metrics) table.AddRow(Markup.Escape(k), Markup.Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""));
        AnsiConsole.Write(table);
        Console.WriteLine($"Wrote {outPath} and {metricsPath}");
        return 0;
    }

    private static void Classification(ClassificationPrediction c, NpyArray? target, Dictionary<string, NpyArray> columns,
        Dictionary<string, object> metrics, string outPath, int bins)
    {
        columns["probabilities"] = NpyArray.FromDoubles(c.Probabilities, c.Examples, c.Classes);
        columns["predicted_class"] = NpyArray.FromInt64s(c.PredictedClass.Select(x => (long)x).ToArray(), c.Examples);
        columns["confidence"] = NpyArray.FromDoubles(c.Confidence, c.Examples);
        columns["predictive_entropy"] = NpyArray.FromDoubles(c.PredictiveEntropy, c.Examples);
        columns["expected_entropy"] = NpyArray.FromDoubles(c.ExpectedEntropy, c.Examples);
        columns["mutual_information"] = NpyArray.FromDoubles(c.MutualInformation, c.Examples);
        if (target is null) return;
        var labels = target.ToInt64s().Select(x => (int)x).ToArray();
        if (labels.Length != c.Examples)
            throw new DataMismatchException("--data", "target", $"has {labels.Length} labels but there are {c.Examples} predictions.");
        var reliability = PredictiveMetrics.Calibration(c.Probabilities, c.Classes, labels, bins);
        metrics["nll"] = PredictiveMetrics.NegativeLogLikelihood(c.LogPredictiveDensities(labels));
        metrics["accuracy"] = PredictiveMetrics.Accuracy(c.PredictedClass, labels);
        metrics["ece"] = reliability.ExpectedCalibrationError;
        metrics["ece_bins"] = bins;
        metrics["brier"] = PredictiveMetrics.Brier(c.Probabilities, c.Classes, labels);
        metrics["brier_convention"] = PredictiveMetrics.BrierConvention;
        var png = Path.ChangeExtension(outPath, ".reliability.png");
        ReliabilityDiagram.Write(reliability, png, "Reliability of the posterior predictive");
        metrics["reliability_diagram"] = png;
    }

    private static void Regression(RegressionPrediction r, NpyArray? target, Dictionary<string, NpyArray> columns, Dictionary<string, object> metrics)
    {
        var n = r.Outputs;
        columns["mean"] = NpyArray.FromDoubles(r.Mean, n);
        columns["std"] = NpyArray.FromDoubles(r.TotalStd, n);
        columns["aleatoric_std"] = NpyArray.FromDoubles(r.AleatoricVariance.Select(Math.Sqrt).ToArray(), n);
        columns["epistemic_std"] = NpyArray.FromDoubles(r.EpistemicVariance.Select(Math.Sqrt).ToArray(), n);
        columns["q05"] = NpyArray.FromDoubles(r.Quantiles(0.05), n);
        columns["q50"] = NpyArray.FromDoubles(r.Quantiles(0.50), n);
        columns["q95"] = NpyArray.FromDoubles(r.Quantiles(0.95), n);
        if (target is null) return;
        var y = target.ToDoubles();
        if (y.Length != n) throw new DataMismatchException("--data", "target", $"has {y.Length} values but there are {n} predictions.");
        metrics["nll"] = PredictiveMetrics.NegativeLogLikelihood(r.LogPredictiveDensity!);
        metrics["rmse"] = PredictiveMetrics.Rmse(r.Mean, y);
        foreach (var (level, coverage) in PredictiveMetrics.StandardCoverage(r, y))
            metrics[$"coverage_{level.ToString("0.##", CultureInfo.InvariantCulture)}"] = coverage;
    }

    /// <summary>One row per example; matrix columns become NAME_0, NAME_1, ….</summary>
    private static void WriteCsv(string path, IReadOnlyDictionary<string, NpyArray> columns)
    {
        var headers = new List<string>();
        var getters = new List<Func<int, double>>();
        foreach (var (name, array) in columns)
        {
            var values = array.ToDoubles();
            var width = array.Shape.Length > 1 ? (int)array.Shape[1] : 1;
            for (var j = 0; j < width; j++)
            {
                headers.Add(width > 1 ? $"{name}_{j}" : name);
                var column = j;
                getters.Add(i => values[i * width + column]);
            }
        }
        var rows = columns.Values.First().Shape[0];
        var text = new StringBuilder(string.Join(",", headers)).Append('\n');
        for (var i = 0; i < rows; i++)
            text.Append(string.Join(",", getters.Select(g => g(i).ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        var temp = path + ".tmp";
        File.WriteAllText(temp, text.ToString());
        File.Move(temp, path, overwrite: true);
    }
}
