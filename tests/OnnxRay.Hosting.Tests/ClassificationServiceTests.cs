using OnnxRay.Hosting.Tests.Support;
using OnnxRay.Onnx.Data;
using OnnxRay.Sampling.Posterior;

namespace OnnxRay.Hosting.Tests;

/// <summary>The service on a digits_cnn run: probabilities, class, confidence, entropies and MI equal RunPosterior's.</summary>
[Collection(PosteriorRunsCollection.Name)]
public sealed class ClassificationServiceTests(PosteriorRuns runs)
{
    [Fact]
    public async Task Predict_returns_the_aggregates_of_RunPosterior_for_every_example()
    {
        var x = PredictRequests.Rows(TestRuns.DigitsTest, "x", 4);
        var (status, body) = await PredictRequests.PostAsync(runs.Digits.Client, PredictRequests.Body(new Dictionary<string, NpyArray> { ["x"] = x }));
        Assert.True(status == 200, body.ToString());

        using var posterior = RunPosterior.Open(runs.DigitsRun);
        var reference = posterior.Predict(new Dictionary<string, NpyArray> { ["x"] = x }).Classification!;
        Assert.Equal("classification", body.GetProperty("task").GetString());
        Assert.Equal(40, body.GetProperty("draws").GetInt32());
        Assert.Equal("[4,10]", body.GetProperty("output_shape").GetRawText());
        var predictions = body.GetProperty("predictions");
        Assert.Equal(4, predictions.GetArrayLength());
        for (var n = 0; n < 4; n++)
        {
            var p = predictions[n];
            var probabilities = p.GetProperty("probabilities");
            Assert.Equal(10, probabilities.GetArrayLength());
            for (var c = 0; c < 10; c++) Agreement.Near(reference.Probabilities[n * 10 + c], probabilities[c], $"probabilities[{n},{c}]");
            Assert.Equal(reference.PredictedClass[n], p.GetProperty("predicted_class").GetInt32());
            Agreement.Near(reference.Confidence[n], p.GetProperty("confidence"), $"confidence[{n}]");
            Agreement.Near(reference.PredictiveEntropy[n], p.GetProperty("predictive_entropy"), $"predictive_entropy[{n}]");
            Agreement.Near(reference.ExpectedEntropy[n], p.GetProperty("expected_entropy"), $"expected_entropy[{n}]");
            Agreement.Near(reference.MutualInformation[n], p.GetProperty("mutual_information"), $"mutual_information[{n}]");
            Assert.Equal(1.0, probabilities.EnumerateArray().Sum(v => v.GetDouble()), 9);
        }
    }

    [Fact]
    public async Task Model_reports_a_four_dimensional_input_and_the_classification_task()
    {
        var model = await PredictRequests.GetAsync(runs.Digits.Client, "/model");
        var input = Assert.Single(model.GetProperty("inputs").EnumerateArray());
        Assert.Equal("[null,1,8,8]", input.GetProperty("shape").GetRawText());
        Assert.Equal("logits", model.GetProperty("output").GetProperty("name").GetString());
        Assert.Equal("classification", model.GetProperty("task").GetString());
        Assert.Equal("categorical", model.GetProperty("manifest").GetProperty("likelihood").GetString());
    }

    [Fact]
    public async Task A_wrong_image_size_names_the_dimension()
    {
        var body = $$"""{ "inputs": { "x": { "shape": [1, 1, 8, 7], "data": [{{string.Join(",", Enumerable.Repeat("0", 56))}}] } } }""";
        var (status, error) = await PredictRequests.PostAsync(runs.Digits.Client, body);
        Assert.Equal(400, status);
        Assert.Equal("inputs.x.shape[3]", error.GetProperty("field").GetString());
        Assert.Equal("inputs.x.shape[3]: expected 8, got 7.", error.GetProperty("error").GetString());
    }
}
