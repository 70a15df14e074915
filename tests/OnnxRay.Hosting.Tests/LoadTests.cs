using System.Diagnostics;
using OnnxRay.Hosting.Tests.Support;
using OnnxRay.Onnx.Data;
using Xunit.Abstractions;

namespace OnnxRay.Hosting.Tests;

/// <summary>
/// Concurrent load on the real service over loopback: 2,000 single-example requests, 32 in flight, twice; zero errors,
/// every answer identical to the sequential one, and no memory growth from the first batch to the second. Latency
/// percentiles are printed, not asserted.
/// </summary>
[Collection(PosteriorRunsCollection.Name)]
public sealed class LoadTests(PosteriorRuns runs, ITestOutputHelper output)
{
    private const int Requests = 2000;
    private const int InFlight = 32;

    [Fact]
    public async Task Two_thousand_requests_32_at_a_time_succeed_with_stable_memory()
    {
        var x = PredictRequests.Rows(TestRuns.BostonTest, "x", 8).ToFloats();
        var bodies = Enumerable.Range(0, 8).Select(r => PredictRequests.Body(new Dictionary<string, NpyArray>
        {
            ["x"] = NpyArray.FromFloats(x.AsSpan(13 * r, 13).ToArray(), 1, 13),
        })).ToArray();
        var expected = new string[bodies.Length];
        for (var i = 0; i < bodies.Length; i++)
        {
            var (status, body) = await PredictRequests.PostAsync(runs.Boston.Client, bodies[i]);
            Assert.Equal(200, status);
            expected[i] = body.GetProperty("predictions").GetRawText();
        }

        // Safety net only: the batches are bounded in count; this stops a hung run instead of hanging CI.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var first = await Batch(bodies, expected, deadline.Token);
        var heapAfterFirst = Settle();
        var workingSetAfterFirst = Process.GetCurrentProcess().WorkingSet64;
        var second = await Batch(bodies, expected, deadline.Token);
        var heapAfterSecond = Settle();
        var workingSetAfterSecond = Process.GetCurrentProcess().WorkingSet64;

        output.WriteLine($"batch 1: {first}");
        output.WriteLine($"batch 2: {second}");
        output.WriteLine($"GC heap after batch 1: {heapAfterFirst / 1e6:F1} MB, after batch 2: {heapAfterSecond / 1e6:F1} MB");
        output.WriteLine($"working set after batch 1: {workingSetAfterFirst / 1e6:F1} MB, after batch 2: {workingSetAfterSecond / 1e6:F1} MB");
        Assert.Equal(0, first.Errors);
        Assert.Equal(0, second.Errors);
        // A leak of even 4 KB per request would add 8 MB over the second batch.
        Assert.True(heapAfterSecond - heapAfterFirst < 8_000_000,
            $"GC heap grew by {(heapAfterSecond - heapAfterFirst) / 1e6:F1} MB over 2,000 requests");
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private async Task<LoadResult> Batch(string[] bodies, string[] expected, CancellationToken cancel)
    {
        var latencies = new double[Requests];
        var errors = 0;
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, InFlight).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                cancel.ThrowIfCancellationRequested();
                var which = i % bodies.Length;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await runs.Boston.Client.PostAsync("/predict", PredictRequests.Json(bodies[which]), cancel);
                    var text = await response.Content.ReadAsStringAsync(cancel);
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    using var document = System.Text.Json.JsonDocument.Parse(text);
                    if ((int)response.StatusCode != 200 || document.RootElement.GetProperty("predictions").GetRawText() != expected[which])
                    {
                        Interlocked.Increment(ref errors);
                        output.WriteLine($"request {i}: {(int)response.StatusCode} {text}");
                    }
                }
                catch (HttpRequestException e)
                {
                    Interlocked.Increment(ref errors);
                    output.WriteLine($"request {i}: {e.Message}");
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        Array.Sort(latencies);
        return new LoadResult(errors, Requests / clock.Elapsed.TotalSeconds, latencies[Requests / 2], latencies[(int)(Requests * 0.99)], latencies[^1]);
    }

    private sealed record LoadResult(int Errors, double RequestsPerSecond, double P50, double P99, double Max)
    {
        public override string ToString() =>
            $"{Requests} requests, {InFlight} in flight: {Errors} errors, {RequestsPerSecond:F0} req/s, p50 {P50:F2} ms, p99 {P99:F2} ms, max {Max:F2} ms";
    }
}
