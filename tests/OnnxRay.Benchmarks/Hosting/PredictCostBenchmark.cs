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
/// Posterior prediction cost ÷ plain inference: predicting a batch with M draws (RunPosterior, parallelism 1 and 2)
/// against M forward passes of the original model in a plain ORT session on the same batch (both sides one intra-op
/// thread; the parallel baseline runs the M passes on as many threads). Then the HTTP service's latency for
/// single-example requests over loopback. Medians of repeated measurements within one run.
/// </summary>
public sealed class PredictCostBenchmark : IBenchmark
{
    public string Name => "predict-cost";
    public string Description => "posterior predict with M draws ÷ M plain ORT forwards (boston_mlp, digits_cnn), and service p50/p99; --draws --batch --repeats --requests";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var draws = a.Int("draws", 50);
        var batch = a.Int("batch", 32);
        var repeats = a.Int("repeats", 15);
        var requests = a.Int("requests", 1000);
        var temp = Path.Combine(Path.GetTempPath(), "onnxray-predict-cost-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Console.WriteLine($"predict-cost: batch {batch}, M = {draws} draws, median of {repeats}, {Environment.ProcessorCount} cores");
            Console.WriteLine("  model        parallelism   M forwards ms   predict ms   ratio   (vs M forwards on p threads: ms, ratio)");
            var models = new[]
            {
                ("boston_mlp", "boston", "gaussian:0.5"),
                ("digits_cnn", "digits", "categorical"),
            };
            foreach (var (model, data, likelihood) in models)
            {
                var run = Path.Combine(temp, model);
                WriteRun(run, model, data, likelihood, draws);
                var x = Rows(Path.Combine(RepositoryPaths.Models, "data", data, "test.npz"), batch);
                foreach (var parallelism in new[] { 1, 2 })
                    Measure(model, run, x, draws, parallelism, repeats);
            }

            Console.WriteLine();
            Console.WriteLine($"service latency: single-example POST /predict over loopback, M = {draws}, {requests} sequential requests after 50 warm-up");
            foreach (var (model, data, _) in models)
                ServiceLatency(model, Path.Combine(temp, model), Rows(Path.Combine(RepositoryPaths.Models, "data", data, "test.npz"), 1), draws, requests);
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

    private static NpyArray Rows(string npz, int rows)
    {
        var x = NpzFile.Read(npz)["x"];
        var row = (int)(x.ElementCount / x.Shape[0]);
        return NpyArray.FromFloats(x.ToFloats().AsSpan(0, rows * row).ToArray(), [rows, .. x.Shape.Skip(1)]);
    }

    private static void Measure(string model, string run, NpyArray x, int draws, int parallelism, int repeats)
    {
        // Baseline: the original model, weights as initializers, one session, M runs on the same input.
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

        var sequential = Median(repeats, () => Forwards(draws));
        var parallel = parallelism == 1 ? sequential : Median(repeats, () =>
            Parallel.For(0, parallelism, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
                t => Forwards(draws / parallelism + (t < draws % parallelism ? 1 : 0))));

        using var posterior = RunPosterior.Open(run, draws, new PredictorOptions { Parallelism = parallelism, IntraOpThreads = 1 });
        var inputs = new Dictionary<string, NpyArray> { [inputName] = x };
        if (posterior.Draws.Count != draws) throw new InvalidOperationException($"the run has {posterior.Draws.Count} draws, wanted {draws}.");
        var predict = Median(repeats, () => posterior.Predict(inputs));
        var inv = CultureInfo.InvariantCulture;
        var versusParallel = parallelism > 1 ? string.Create(inv, $"   ({parallel:F2} ms, {predict / parallel:F2}×)") : "";
        Console.WriteLine(string.Create(inv,
            $"  {model,-12} {parallelism,11}   {sequential,13:F2}   {predict,10:F2}   {predict / sequential,5:F2}×{versusParallel}"));
    }

    private static double Median(int repeats, Action body)
    {
        for (var i = 0; i < 3; i++) body(); // JIT, ORT arena, page faults
        var times = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            body();
            times[r] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
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
