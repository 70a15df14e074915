using System.Text;
using OnnxRay.Hosting.Tests.Support;

namespace OnnxRay.Hosting.Tests;

/// <summary>Every malformed request gets 400 (413 for an oversized body) and a JSON message naming the field at fault.</summary>
[Collection(PosteriorRunsCollection.Name)]
public sealed class BadRequestTests(PosteriorRuns runs)
{
    private static string Numbers(int count) => string.Join(",", Enumerable.Range(0, count).Select(i => (i % 7 * 0.1).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // name, body, expected field, expected text in the message
        { "wrong dimension", $$"""{ "inputs": { "x": { "shape": [2, 12], "data": [{{Numbers(24)}}] } } }""", "inputs.x.shape[1]", "inputs.x.shape[1]: expected 13, got 12" },
        { "wrong rank", $$"""{ "inputs": { "x": { "shape": [13], "data": [{{Numbers(13)}}] } } }""", "inputs.x.shape", "expected rank 2 [?,13], got rank 1" },
        { "negative size", """{"inputs": {"x": {"shape": [-1, 13], "data": []}}}""", "inputs.x.shape[0]", "expected a non-negative integer, got -1" },
        { "no rows", """{"inputs": {"x": {"shape": [0, 13], "data": []}}}""", "inputs.x.shape[0]", "expected at least one example" },
        { "shape not an array", $$"""{ "inputs": { "x": { "shape": "1x13", "data": [{{Numbers(13)}}] } } }""", "inputs.x.shape", "expected an array of dimension sizes, got a string" },
        { "shape missing", $$"""{ "inputs": { "x": { "data": [{{Numbers(13)}}] } } }""", "inputs.x.shape", "missing" },
        { "wrong dtype", $$"""{ "inputs": { "x": { "shape": [1, 13], "dtype": "int64", "data": [{{Numbers(13)}}] } } }""", "inputs.x.dtype", "expected float32, got int64" },
        { "unknown dtype", $$"""{ "inputs": { "x": { "shape": [1, 13], "dtype": "complex128", "data": [{{Numbers(13)}}] } } }""", "inputs.x.dtype", "unknown dtype 'complex128'" },
        { "missing input", """{"inputs": {}}""", "inputs.x", "missing: the model needs this input [?,13] (float32)" },
        { "unknown input", $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(13)}}] }, "z": { "shape": [1], "data": [1] } } }""", "inputs.z", "unknown input (the model's inputs are: x)" },
        { "non-numeric value", $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(3)}}, "abc", {{Numbers(9)}}] } } }""", "inputs.x.data[3]", "expected a number, got a string \"abc\"" },
        { "null value", $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(12)}}, null] } } }""", "inputs.x.data[12]", "expected a number, got null" },
        { "too few values", $$"""{ "inputs": { "x": { "shape": [2, 13], "data": [{{Numbers(25)}}] } } }""", "inputs.x.data", "expected 26 values (the product of shape [2,13]), got 25" },
        { "too many values", $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(14)}}] } } }""", "inputs.x.data", "expected 13 values (the product of shape [1,13]), got 14" },
        { "data missing", """{"inputs": {"x": {"shape": [1, 13]}}}""", "inputs.x.data", "missing" },
        { "out of float32 range", $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(12)}}, 1e300] } } }""", "inputs.x.data[12]", "within float32 range" },
        { "inputs missing", """{"x": {"shape": [1, 13], "data": []}}""", "inputs", "missing" },
        { "inputs not an object", """{"inputs": [1, 2]}""", "inputs", "got an array" },
        { "body not an object", """[1, 2, 3]""", "body", "expected a JSON object" },
        { "invalid JSON", """{"inputs": {"x": {"shape": [1, 13], "data": [1, 2,""", "body", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_400_naming_the_field(string name, string body, string field, string message)
    {
        var (status, error) = await PredictRequests.PostAsync(runs.Boston.Client, body);
        Assert.True(status == 400, $"{name}: status {status}, {error}");
        Assert.Equal(field, error.GetProperty("field").GetString());
        var text = error.GetProperty("error").GetString()!;
        Assert.StartsWith(field + ": ", text);
        Assert.Contains(message, text);
    }

    [Fact]
    public async Task The_service_still_answers_after_bad_requests()
    {
        await PredictRequests.PostAsync(runs.Boston.Client, """{"inputs": {"x": {"shape": [1, 12], "data": []}}}""");
        var (status, body) = await PredictRequests.PostAsync(runs.Boston.Client, $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(13)}}] } } }""");
        Assert.True(status == 200, body.ToString());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413_naming_the_option_whether_or_not_its_length_is_announced()
    {
        await using var small = await ServiceInstance.StartAsync(o =>
        {
            o.RunFolder = runs.BostonRun;
            o.MaxRequestBytes = 1024;
        });
        // Just over the limit, so the whole body reaches the server in one read and the close after the answer is clean.
        var rows = 30;
        var body = $$"""{ "inputs": { "x": { "shape": [{{rows}}, 13], "data": [{{Numbers(13 * rows)}}] } } }""";
        Assert.InRange(Encoding.UTF8.GetByteCount(body), 1025, 4096);

        // Content-Length announced: refused before reading.
        var (status, error) = await PredictRequests.PostAsync(small.Client, body);
        Assert.Equal(413, status);
        Assert.Equal("body", error.GetProperty("field").GetString());
        Assert.Contains("MaxRequestBytes = 1024", error.GetProperty("error").GetString());

        // Chunked: Kestrel's MaxRequestBodySize stops the read.
        using var chunked = new PredictRequests.ChunkedContent(Encoding.UTF8.GetBytes(body));
        chunked.Headers.ContentType = PredictRequests.JsonType;
        using var response = await small.Client.PostAsync("/predict", chunked);
        Assert.Equal(413, (int)response.StatusCode);
        var chunkedError = await PredictRequests.ReadJson(response);
        Assert.Equal("body", chunkedError.GetProperty("field").GetString());

        // A body under the limit is served by the same instance.
        var (okStatus, ok) = await PredictRequests.PostAsync(small.Client, $$"""{ "inputs": { "x": { "shape": [1, 13], "data": [{{Numbers(13)}}] } } }""");
        Assert.True(okStatus == 200, ok.ToString());
    }
}
