using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Hosting.Http;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Samplers.Metropolis;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.Hosting;

/// <summary>
/// Posterior prediction cost ÷ plain inference. Baseline: M runs of the original model (weights as initializers) in a
/// plain ORT InferenceSession on the same batch, one intra-op thread, ORT_ENABLE_ALL, ORT-allocated output (as the
/// predictor gets it). Against it, RunPosterior.Predict with the same M draws (aggregation included): "shared" = one
/// session with the weights as graph inputs (any draw source), "resident" = one session per draw with the weights as
/// constants (what a serving host uses within its memory budget), once per --draws-per-session G (G draws in one
/// session, one run per group) and per --batch-draws (true: a dense network as one chain over the group's draws,
/// DenseDrawGraph, else first Conv layers batched over them, BatchedDrawGraph; false: side-by-side copies of the graph only). Parallelism 1 is timed on the calling thread's CPU
/// clock (everything runs on it); parallelism p &gt; 1 against the M runs spread over p threads, on the wall clock and
/// on the process CPU clock. The three sides run back to back in every repeat; medians over repeats. Then the HTTP
/// service's latency for single-example requests over loopback (--requests 0 skips it).
/// </summary>
public sealed class PredictCostBenchmark : IBenchmark
{
    public string Name => "predict-cost";
    public string Description => "posterior predict with M draws ÷ M plain ORT forwards (boston_mlp, digits_cnn; shared θ-input session and resident sessions of G draws), service p50/p99; --draws --batches 32,256 --parallelism 1,2 --draws-per-session 1,8 --batch-draws true,false --repeats --requests";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var draws = a.Int("draws", 50);
        var batches = a.String("batches", "32,256").Split(',').Select(int.Parse).ToArray();
        var parallelisms = a.String("parallelism", "1,2").Split(',').Select(int.Parse).ToArray();
        var repeats = a.Int("repeats", 15);
        var groups = a.String("draws-per-session", "1,8").Split(',').Select(int.Parse).ToArray();
        var batchings = a.String("batch-draws", "true").Split(',').Select(bool.Parse).ToArray();
        var requests = a.Int("requests", 1000);
        var temp = Path.Combine(Path.GetTempPath(), "onnxray-predict-cost-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Console.WriteLine($"predict-cost: M = {draws} draws, median of {repeats}, {Environment.ProcessorCount} cores, load average {LoadAverage.Now()}");
            Console.WriteLine("  p = 1: thread CPU ms; p > 1: wall ms [process CPU ms]. fwd = M plain forwards; shared / resident = predict incl. aggregation");
            Console.WriteLine("  model          B   p   G batch      fwd ms          shared ms        resident ms   shared÷fwd  resident÷fwd   [CPU: shared÷fwd resident÷fwd]   resident open ms");
            var models = new[]
            {
                ("boston_mlp", "boston", "gaussian:0.5"),
                ("digits_cnn", "digits", "categorical"),
            };
            foreach (var (model, data, likelihood) in models)
            {
                var run = Path.Combine(temp, model);
                WriteRun(run, model, data, likelihood, draws);
                // An untimed first row: the first row measured for a model used to come out slower on both sides (the
                // shared ratio too), whatever configuration it was, so it is run once and its figures dropped.
                Measure(model, run, Rows(Path.Combine(RepositoryPaths.Models, "data", data, "test.npz"), batches[0]), draws,
                    parallelisms[0], groups[0], batchings[0], repeats: 3, print: false);
                foreach (var batch in batches)
                {
                    var x = Rows(Path.Combine(RepositoryPaths.Models, "data", data, "test.npz"), batch);
                    foreach (var parallelism in parallelisms)
                    foreach (var group in groups)
                    foreach (var batching in batchings)
                        Measure(model, run, x, draws, parallelism, group, batching, repeats);
                }
            }

            if (requests > 0)
            {
                Console.WriteLine();
                Console.WriteLine($"service latency: single-example POST /predict over loopback, M = {draws}, {requests} sequential requests after 50 warm-up");
                foreach (var (model, data, _) in models)
                    ServiceLatency(model, Path.Combine(temp, model), Rows(Path.Combine(RepositoryPaths.Models, "data", data, "test.npz"), 1), draws, requests);
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }

    private static void WriteRun(string folder, string model, string data, string likelihood, int draws)
    {
        using var problem = PosteriorProblem.Open(new PosteriorDefinition
        {
            ModelPath = Path.Combine(RepositoryPaths.Models, model + ".onnx"),
            DataPath = Path.Combine(RepositoryPaths.Models, "data", data, "train.npz"),
            Likelihood = likelihood,
            Prior = "gaussian:1",
        }, 1);
        var settings = new SamplingRunSettings { Chains = 2, Warmup = 20, Draws = (draws + 1) / 2, Seed = 1, InitialJitter = 0.01 };
        SamplingRun.Create(folder, settings, new MetropolisSamplerFactory(), new MetropolisOptions(), problem.InitialTheta,
            problem.CreateDensity, problem.Describe()).Run();
    }

    /// <summary>The first <paramref name="rows"/> rows of the test inputs, cycling through them when there are fewer.</summary>
    private static NpyArray Rows(string npz, int rows)
    {
        var x = NpzFile.Read(npz)["x"];
        var all = x.ToFloats();
        var row = (int)(x.ElementCount / x.Shape[0]);
        var data = new float[rows * row];
        for (var i = 0; i < rows; i++) Array.Copy(all, (long)(i % x.Shape[0]) * row, data, (long)i * row, row);
        return NpyArray.FromFloats(data, [rows, .. x.Shape.Skip(1)]);
    }

    private static void Measure(string model, string run, NpyArray x, int draws, int parallelism, int group, bool batching, int repeats, bool print = true)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(Path.Combine(RepositoryPaths.Models, model + ".onnx"), options);
        var inputName = session.InputMetadata.Keys.Single();
        var outputName = session.OutputMetadata.Keys.First();
        using var input = OrtValue.CreateTensorValueFromMemory((float[])x.Data, x.Shape);
        using var runOptions = new RunOptions();
        void Forwards(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var result = session.Run(runOptions, [inputName], [input], [outputName]);
            }
        }
        void Baseline()
        {
            if (parallelism == 1) Forwards(draws);
            else Parallel.For(0, parallelism, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
                t => Forwards(draws / parallelism + (t < draws % parallelism ? 1 : 0)));
        }

        var predictorOptions = new PredictorOptions { Parallelism = parallelism, IntraOpThreads = 1 };
        using var shared = RunPosterior.Open(run, draws, predictorOptions);
        var opened = Stopwatch.StartNew();
        using var resident = RunPosterior.Open(run, draws, predictorOptions with
        {
            ResidentDrawBudgetBytes = 256L << 20, ResidentDrawsPerSession = group, BatchResidentDraws = batching,
        });
        var openMs = opened.Elapsed.TotalMilliseconds;
        if (shared.Draws.Count != draws) throw new InvalidOperationException($"the run has {shared.Draws.Count} draws, wanted {draws}.");
        if (shared.Predictor.HasResidentDraws || !resident.Predictor.HasResidentDraws) throw new InvalidOperationException("resident draws not as configured.");
        var inputs = new Dictionary<string, NpyArray> { [inputName] = x };

        var t = Medians(repeats, Baseline, () => shared.Predict(inputs), () => resident.Predict(inputs));
        var (fwd, sh, re) = parallelism == 1 ? (t[0].Thread, t[1].Thread, t[2].Thread) : (t[0].Wall, t[1].Wall, t[2].Wall);
        if (!print) return;
        var cpu = parallelism == 1 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"[{t[0].Process:F2} / {t[1].Process:F2} / {t[2].Process:F2} ms: {t[1].Process / t[0].Process:F2}× {t[2].Process / t[0].Process:F2}×]");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {model,-12} {x.Shape[0],4} {parallelism,3} {group,3} {(batching ? "yes" : "no"),5} {fwd,11:F2} {sh,17:F2} {re,18:F2} {sh / fwd,11:F2}× {re / fwd,12:F2}×   {cpu,-34} {openMs,10:F0}"));
    }

    /// <summary>Per body: medians (ms) of wall, calling-thread CPU and process CPU time; the bodies alternate within each repeat.</summary>
    private static (double Wall, double Thread, double Process)[] Medians(int repeats, params Action[] bodies)
    {
        // Warm-up to the JIT's steady state (and ORT's arena, page faults), then enough calls per repeat for ≥ 20 ms.
        foreach (var body in bodies) JitWarmup.Run(body);
        var timing = Stopwatch.StartNew();
        foreach (var body in bodies) body();
        var calls = Math.Max(1, (int)(20.0 / Math.Max(0.01, timing.Elapsed.TotalMilliseconds / bodies.Length)));
        var samples = bodies.Select(_ => (Wall: new double[repeats], Thread: new double[repeats], Process: new double[repeats])).ToArray();
        for (var r = 0; r < repeats; r++)
        for (var b = 0; b < bodies.Length; b++)
        {
            var (w0, t0, p0) = (CpuClock.WallMicroseconds(), CpuClock.ThreadMicroseconds(), CpuClock.ProcessMicroseconds());
            for (var i = 0; i < calls; i++) bodies[b]();
            samples[b].Wall[r] = (CpuClock.WallMicroseconds() - w0) / 1e3 / calls;
            samples[b].Thread[r] = (CpuClock.ThreadMicroseconds() - t0) / 1e3 / calls;
            samples[b].Process[r] = (CpuClock.ProcessMicroseconds() - p0) / 1e3 / calls;
        }
        return samples.Select(s => (SampleMedian.Of(s.Wall), SampleMedian.Of(s.Thread), SampleMedian.Of(s.Process))).ToArray();
    }

    private static void ServiceLatency(string model, string run, NpyArray x, int draws, int requests)
    {
        var app = PosteriorWebService.Build(o =>
        {
            o.RunFolder = run;
            o.MaxDraws = draws;
        }, ["http://127.0.0.1:0"], logging => logging.ClearProviders());
        app.StartAsync().GetAwaiter().GetResult();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var body = new StringBuilder("{\"inputs\":{\"x\":{\"shape\":[").Append(string.Join(",", x.Shape)).Append("],\"data\":[")
                .Append(string.Join(",", x.ToFloats().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append("]}}}").ToString();
            var latencies = new double[requests];
            for (var i = -50; i < requests; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = client.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
                response.EnsureSuccessStatusCode();
                response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (i >= 0) latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            Array.Sort(latencies);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {model,-12} p50 {latencies[requests / 2]:F2} ms   p99 {latencies[(int)(requests * 0.99)]:F2} ms   max {latencies[^1]:F2} ms"));
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)app).Dispose();
        }
    }
}
