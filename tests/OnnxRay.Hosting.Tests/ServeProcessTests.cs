using System.Globalization;
using OnnxRay.Hosting.Tests.Support;
using OnnxRay.Onnx.Data;
using OnnxRay.Sampling.Posterior;

namespace OnnxRay.Hosting.Tests;

/// <summary>
/// The real <c>onnxray serve</c> process: answers over HTTP with the aggregates of RunPosterior and of
/// <c>onnxray predict</c>, and refuses to start on a corrupted run folder. Skipped (visibly) when the tool is not built
/// in the same artifacts folder: <c>dotnet build src/OnnxRay.Cli -c Release --artifacts-path ...</c>.
/// </summary>
[Collection(PosteriorRunsCollection.Name)]
public sealed class ServeProcessTests(PosteriorRuns runs)
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(3);

    private static string Tool()
    {
        var tool = CliProcess.ToolPath;
        Skip.If(tool is null, "onnxray.dll is not built in this artifacts folder (build src/OnnxRay.Cli with the same --artifacts-path, or set ONNXRAY_CLI_DLL).");
        return tool!;
    }

    [SkippableFact]
    public async Task Serve_answers_with_the_aggregates_of_RunPosterior_and_of_the_predict_command()
    {
        var tool = Tool();
        using var serve = CliProcess.Start(tool, "serve", runs.BostonRun, "--urls", "http://127.0.0.1:0", "--draws", "10");
        var address = await serve.WaitForAddressAsync(StartLimit);
        Assert.True(address is not null, $"onnxray serve did not start.\nstdout:\n{serve.Stdout}\nstderr:\n{serve.Stderr}");
        Assert.StartsWith("http://127.0.0.1:", address);
        using var client = new HttpClient { BaseAddress = new Uri(address!), Timeout = TimeSpan.FromSeconds(60) };

        var model = await PredictRequests.GetAsync(client, "/model");
        Assert.Equal(10, model.GetProperty("draws_used").GetInt32());

        var x = PredictRequests.Rows(TestRuns.BostonTest, "x", 6);
        var (status, body) = await PredictRequests.PostAsync(client, PredictRequests.Body(new Dictionary<string, NpyArray> { ["x"] = x }));
        Assert.True(status == 200, body.ToString());
        var predictions = body.GetProperty("predictions");

        using var posterior = RunPosterior.Open(runs.BostonRun, 10);
        var reference = posterior.Predict(new Dictionary<string, NpyArray> { ["x"] = x }).Regression!;
        for (var n = 0; n < 6; n++)
        {
            Agreement.Near(reference.Mean[n], predictions[n].GetProperty("mean"), $"mean[{n}]");
            Agreement.Near(reference.TotalStd[n], predictions[n].GetProperty("std"), $"std[{n}]");
            Agreement.Near(reference.Quantile(n, 0.95), predictions[n].GetProperty("q95"), $"q95[{n}]");
        }

        // The predict command on the same rows (written as an .npz) agrees column by column.
        using var temp = runs.NewTemp();
        var data = temp.Sub("rows.npz");
        NpzFile.Write(data, new Dictionary<string, NpyArray> { ["x"] = x });
        var outPath = temp.Sub("pred.csv");
        using (var predict = CliProcess.Start(tool, "predict", runs.BostonRun, "--data", data, "--out", outPath, "--draws", "10"))
        {
            var exit = await predict.WaitForExitAsync(StartLimit);
            Assert.True(exit == 0, $"onnxray predict exited {exit}.\nstderr:\n{predict.Stderr}");
        }
        var lines = File.ReadAllLines(outPath);
        var header = lines[0].Split(',');
        Assert.Equal(7, lines.Length);
        foreach (var column in new[] { "mean", "std", "aleatoric_std", "epistemic_std", "q05", "q50", "q95" })
        {
            var c = Array.IndexOf(header, column);
            Assert.True(c >= 0, $"predict wrote no '{column}' column: {lines[0]}");
            for (var n = 0; n < 6; n++)
                Agreement.Near(double.Parse(lines[n + 1].Split(',')[c], CultureInfo.InvariantCulture), predictions[n].GetProperty(column), $"{column}[{n}] vs predict");
        }
    }

    [SkippableFact]
    public async Task Serve_refuses_to_start_on_a_corrupted_chunk_and_names_it()
    {
        var tool = Tool();
        using var temp = runs.NewTemp();
        var copy = temp.Sub("run");
        RunCopies.Copy(runs.BostonRun, copy);
        var chunk = RunCopies.CorruptFirstChunk(copy);

        using var serve = CliProcess.Start(tool, "serve", copy, "--urls", "http://127.0.0.1:0");
        var exit = await serve.WaitForExitAsync(StartLimit);
        Assert.True(exit is not null, $"onnxray serve kept running on a corrupted run.\nstdout:\n{serve.Stdout}");
        Assert.NotEqual(0, exit);
        Assert.Contains($"error: {chunk}: chunk 0 of chain 0 is corrupt", serve.Stderr);
        Assert.DoesNotContain("listening on", serve.Stdout);
    }
}
