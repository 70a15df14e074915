using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OnnxRay.Hosting.Tests.Support;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Hosting.Tests;

/// <summary>AddOnnxRayPosterior in a generic host: options validated and the run folder verified at start-up.</summary>
[Collection(PosteriorRunsCollection.Name)]
public sealed class StartupTests(PosteriorRuns runs)
{
    private static IHost Build(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOnnxRayPosterior(builder.Configuration.GetSection(OnnxRayPosteriorOptions.DefaultSectionName));
        return builder.Build();
    }

    [Fact]
    public async Task A_generic_host_bound_from_configuration_resolves_a_singleton_predictor_that_predicts()
    {
        using var host = Build([
            new("OnnxRay:Posterior:RunFolder", runs.BostonRun),
            new("OnnxRay:Posterior:MaxDraws", "10"),
            new("OnnxRay:Posterior:Parallelism", "2"),
            new("OnnxRay:Posterior:KeepPerDrawOutputs", "true"),
        ]);
        await host.StartAsync();
        var predictor = host.Services.GetRequiredService<IPosteriorPredictor>();
        Assert.Same(predictor, host.Services.GetRequiredService<IPosteriorPredictor>());
        Assert.Equal(10, predictor.Model.DrawsUsed);

        var inputs = new Dictionary<string, NpyArray> { ["x"] = PredictRequests.Rows(TestRuns.BostonTest, "x", 3) };
        var prediction = await predictor.PredictAsync(inputs);
        // The host's default: one session per draw with the weights as constants.
        using var posterior = RunPosterior.Open(runs.BostonRun, 10, new PredictorOptions { ResidentDrawBudgetBytes = new OnnxRayPosteriorOptions().ResidentDrawBudgetBytes });
        Assert.True(posterior.Predictor.HasResidentDraws);
        var reference = posterior.Predict(inputs);
        Assert.Equal(10, prediction.Draws);
        Assert.Equal(reference.Regression!.Mean, prediction.Regression!.Mean);
        Assert.Equal(reference.Regression.TotalStd, prediction.Regression.Std);
        Assert.Equal(10 * 3, prediction.PerDrawOutputs!.Length);
        // The per-draw outputs are the draws the mean averages.
        for (var n = 0; n < 3; n++)
            Assert.Equal(prediction.Regression.Mean[n], Enumerable.Range(0, 10).Average(s => (double)prediction.PerDrawOutputs[s * 3 + n]), 5);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_corrupted_chunk_stops_the_host_from_starting_and_the_error_names_the_chunk()
    {
        using var temp = runs.NewTemp();
        var copy = temp.Sub("run");
        RunCopies.Copy(runs.BostonRun, copy);
        var chunk = RunCopies.CorruptFirstChunk(copy);

        using var host = Build([new("OnnxRay:Posterior:RunFolder", copy)]);
        var error = await Assert.ThrowsAsync<RunFolderException>(() => host.StartAsync());
        Assert.Equal(chunk, error.FilePath);
        Assert.Contains("corrupt", error.Message);
        Assert.Contains(Path.GetFileName(chunk), error.Message);
    }

    [Fact]
    public async Task Invalid_options_stop_the_start_with_messages_naming_the_configuration_keys()
    {
        using var host = Build([
            new("OnnxRay:Posterior:RunFolder", runs.BostonRun),
            new("OnnxRay:Posterior:MaxDraws", "0"),
            new("OnnxRay:Posterior:BatchSize", "0"),
            new("OnnxRay:Posterior:Device", "tpu"),
            new("OnnxRay:Posterior:ResidentDrawsPerSession", "0"),
        ]);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.StartsWith("OnnxRay:Posterior:MaxDraws must be at least 1"));
        Assert.Contains(error.Failures, f => f.StartsWith("OnnxRay:Posterior:BatchSize must be at least 1"));
        Assert.Contains(error.Failures, f => f.StartsWith("OnnxRay:Posterior:Device must be 'cpu' or 'cuda:N'"));
        Assert.Contains(error.Failures, f => f.StartsWith("OnnxRay:Posterior:ResidentDrawsPerSession must be at least 1"));
        Assert.Equal(4, error.Failures.Count());
    }

    [Fact]
    public async Task A_missing_run_folder_is_named_by_the_option_set_in_code()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddOnnxRayPosterior(o => o.RunFolder = "/nonexistent/onnxray-run");
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("OnnxRayPosteriorOptions.RunFolder '/nonexistent/onnxray-run' does not exist.", Assert.Single(error.Failures));
    }

    [Fact]
    public async Task The_library_predictor_refuses_bad_arrays_with_the_same_field_names()
    {
        var predictor = runs.Boston.Predictor;
        var wrong = new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromFloats(new float[24], 2, 12) };
        var error = Assert.Throws<PosteriorRequestException>(() => predictor.Predict(wrong));
        Assert.Equal("inputs.x.shape[1]", error.Field);
        var badLength = new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromFloats(new float[20], 2, 13) };
        Assert.Equal("inputs.x.data", Assert.Throws<PosteriorRequestException>(() => predictor.Predict(badLength)).Field);
        var text = new Dictionary<string, NpyArray> { ["x"] = new("<U4", [1, 13], new string[13]) };
        Assert.Equal("inputs.x.dtype", (await Assert.ThrowsAsync<PosteriorRequestException>(() => predictor.PredictAsync(text))).Field);
    }
}
