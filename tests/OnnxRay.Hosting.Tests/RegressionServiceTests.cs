using OnnxRay.Hosting.Tests.Support;
using OnnxRay.Onnx.Data;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Hosting.Tests;

/// <summary>The service on a boston_mlp run: its answers are RunPosterior's aggregates; /model describes the run.</summary>
[Collection(PosteriorRunsCollection.Name)]
public sealed class RegressionServiceTests(PosteriorRuns runs)
{
    [Fact]
    public async Task Predict_returns_the_aggregates_of_RunPosterior_for_every_example()
    {
        var x = PredictRequests.Rows(TestRuns.BostonTest, "x", 5);
        var (status, body) = await PredictRequests.PostAsync(runs.Boston.Client, PredictRequests.Body(new Dictionary<string, NpyArray> { ["x"] = x }));
        Assert.True(status == 200, body.ToString());

        using var posterior = RunPosterior.Open(runs.BostonRun);
        var reference = posterior.Predict(new Dictionary<string, NpyArray> { ["x"] = x }).Regression!;
        Assert.Equal("regression", body.GetProperty("task").GetString());
        Assert.Equal(40, body.GetProperty("draws").GetInt32());
        Assert.Equal(5, body.GetProperty("examples").GetInt32());
        var predictions = body.GetProperty("predictions");
        Assert.Equal(5, predictions.GetArrayLength());
        double[] q05 = reference.Quantiles(0.05), q50 = reference.Quantiles(0.5), q95 = reference.Quantiles(0.95);
        for (var n = 0; n < 5; n++)
        {
            var p = predictions[n];
            Agreement.Near(reference.Mean[n], p.GetProperty("mean"), $"mean[{n}]");
            Agreement.Near(reference.TotalStd[n], p.GetProperty("std"), $"std[{n}]");
            Agreement.Near(Math.Sqrt(reference.AleatoricVariance[n]), p.GetProperty("aleatoric_std"), $"aleatoric_std[{n}]");
            Agreement.Near(Math.Sqrt(reference.EpistemicVariance[n]), p.GetProperty("epistemic_std"), $"epistemic_std[{n}]");
            Agreement.Near(q05[n], p.GetProperty("q05"), $"q05[{n}]");
            Agreement.Near(q50[n], p.GetProperty("q50"), $"q50[{n}]");
            Agreement.Near(q95[n], p.GetProperty("q95"), $"q95[{n}]");
            // Sanity of the reference itself: a fixed σ = 0.5 likelihood and distinct draws.
            Assert.Equal(0.5, Math.Sqrt(reference.AleatoricVariance[n]), 9);
            Assert.True(reference.EpistemicVariance[n] > 0, "the draws should disagree");
        }
    }

    [Fact]
    public async Task Model_describes_inputs_output_task_draws_and_the_manifest()
    {
        var model = await PredictRequests.GetAsync(runs.Boston.Client, "/model");

        var input = Assert.Single(model.GetProperty("inputs").EnumerateArray());
        Assert.Equal("x", input.GetProperty("name").GetString());
        Assert.Equal("float32", input.GetProperty("dtype").GetString());
        Assert.Equal("[null,13]", input.GetProperty("shape").GetRawText());
        Assert.Equal("y", model.GetProperty("output").GetProperty("name").GetString());
        Assert.Equal("regression", model.GetProperty("task").GetString());
        Assert.Equal(40, model.GetProperty("draws_used").GetInt32());
        Assert.Equal(40, model.GetProperty("draws_available").GetInt64());
        var manifest = model.GetProperty("manifest");
        Assert.Equal(Path.GetFullPath(TestRuns.BostonModel), manifest.GetProperty("model_path").GetString());
        Assert.Equal(Sha256.OfFile(TestRuns.BostonModel), manifest.GetProperty("model_sha256").GetString());
        Assert.Equal("metropolis", manifest.GetProperty("sampler").GetString());
        Assert.Equal(2, manifest.GetProperty("chains").GetInt32());
        Assert.Equal(20, manifest.GetProperty("draws_per_chain").GetInt32());
        Assert.Equal("gaussian:0.5", manifest.GetProperty("likelihood").GetString());
        Assert.Equal("gaussian:1", manifest.GetProperty("prior").GetString());
    }

    [Fact]
    public async Task Healthz_answers_ok_with_the_draw_count()
    {
        var health = await PredictRequests.GetAsync(runs.Boston.Client, "/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(40, health.GetProperty("draws").GetInt32());
    }

    [Fact]
    public async Task Nested_data_and_a_stated_dtype_give_the_same_answer_as_flat_data()
    {
        var x = PredictRequests.Rows(TestRuns.BostonTest, "x", 2).ToFloats();
        string Row(int r) => "[" + string.Join(",", x.Skip(13 * r).Take(13).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        var nested = $$"""{ "inputs": { "x": { "shape": [2, 13], "dtype": "float32", "data": [{{Row(0)}}, {{Row(1)}}] } } }""";
        var flat = PredictRequests.Body(new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromFloats(x, 2, 13) });

        var (s1, a) = await PredictRequests.PostAsync(runs.Boston.Client, nested);
        var (s2, b) = await PredictRequests.PostAsync(runs.Boston.Client, flat);
        Assert.Equal(200, s1);
        Assert.Equal(200, s2);
        Assert.Equal(b.GetProperty("predictions").GetRawText(), a.GetProperty("predictions").GetRawText());
    }
}
