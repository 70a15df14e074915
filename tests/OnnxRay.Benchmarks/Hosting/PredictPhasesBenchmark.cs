using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Prediction.Aggregation;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.Hosting;

/// <summary>
/// Where the time of a posterior prediction goes, on the calling thread's CPU clock (medians, phases back to back):
/// M runs of one plain session; one run of each of M sessions holding one draw each (each with its own memory arena,
/// or all on one shared environment arena); the aggregation alone; the predictor (shared θ-input session, resident
/// per-draw sessions).
/// </summary>
public sealed class PredictPhasesBenchmark : IBenchmark
{
    public string Name => "predict-phases";
    public string Description => "time per phase of a posterior prediction (plain runs, per-draw sessions, aggregation, predictor); --draws 50 --batches 32,256 --repeats 9";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var m = a.Int("draws", 50);
        var batches = a.String("batches", "32,256").Split(',').Select(int.Parse).ToArray();
        var repeats = a.Int("repeats", 9);
        Console.WriteLine($"predict-phases: M = {m}, thread CPU ms per M draws, median of {repeats}, load average {LoadAverage.Now()}");
        Console.WriteLine("  model         B   1 session   M sessions   M sess. env arena   aggregation   predict shared   predict resident");
        foreach (var (name, data, likelihood) in new[] { ("boston_mlp", "boston", "gaussian:0.5"), ("digits_cnn", "digits", "categorical") })
        {
            var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, name + ".onnx")));
            var layout = ParameterLayout.FromModel(model);
            var theta0 = layout.ReadInitialTheta(model);
            var random = new Random(3);
            var draws = new InMemoryDraws(Enumerable.Range(0, m).Select(_ => theta0.Select(v => v + 0.01f * (float)(random.NextDouble() - 0.5)).ToArray()).ToList());
            var spec = DensityOptions.Parse(likelihood, "none").Likelihood;
            foreach (var b in batches)
            {
                var x = NpzFile.Read(Path.Combine(RepositoryPaths.Models, "data", data, "test.npz"))["x"];
                var row = (int)(x.ElementCount / x.Shape[0]);
                var rows = new float[b * row];
                for (var i = 0; i < b; i++) Array.Copy(x.ToFloats(), (long)(i % x.Shape[0]) * row, rows, (long)i * row, row);
                var input = NpyArray.FromFloats(rows, [b, .. x.Shape.Skip(1)]);
                using var value = OrtValue.CreateTensorValueFromMemory(rows, input.Shape);
                var inputName = model.Proto.Graph.Input[0].Name;
                var outputName = model.Proto.Graph.Output[0].Name;
                using var runOptions = new RunOptions();

                // The resident predictor first: it registers the environment arena its sessions (and envSessions) share.
                using var resident = PosteriorPredictor.Create(model, layout, spec, null, new PredictorOptions { Parallelism = 1, ResidentDrawBudgetBytes = 1L << 30 });
                resident.UseResidentDraws(draws);
                var sessions = Sessions(model, layout, draws, envArena: false);
                var envSessions = Sessions(model, layout, draws, envArena: true);
                var outputs = new float[m][];
                for (var s = 0; s < m; s++)
                {
                    using var r = sessions[s].Run(runOptions, [inputName], [value], [outputName]);
                    outputs[s] = r[0].GetTensorDataAsSpan<float>().ToArray();
                }
                using var shared = PosteriorPredictor.Create(model, layout, spec, null, new PredictorOptions { Parallelism = 1 });
                var inputs = new Dictionary<string, NpyArray> { [inputName] = input };

                void RunAll(InferenceSession[] all, bool one)
                {
                    for (var s = 0; s < m; s++)
                    {
                        using var r = all[one ? 0 : s].Run(runOptions, [inputName], [value], [outputName]);
                    }
                }
                void Aggregate()
                {
                    if (spec.Kind == LikelihoodKind.Categorical)
                    {
                        var agg = new ClassificationAggregator(b, outputs[0].Length / b);
                        foreach (var o in outputs) agg.AddLogits(o);
                        agg.Result();
                    }
                    else
                    {
                        var agg = new RegressionAggregator(outputs[0].Length);
                        foreach (var o in outputs) agg.AddDraw(o, 0.5);
                        agg.Result();
                    }
                }
                var t = Medians(repeats, () => RunAll(sessions, true), () => RunAll(sessions, false), () => RunAll(envSessions, false), Aggregate,
                    () => shared.Predict(inputs, draws), () => resident.Predict(inputs, draws));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name,-11} {b,4} {t[0],11:F2} {t[1],12:F2} {t[2],19:F2} {t[3],13:F2} {t[4],16:F2} {t[5],18:F2}"));
                foreach (var s in sessions.Concat(envSessions)) s.Dispose();
            }
        }
        return 0;
    }

    private static InferenceSession[] Sessions(OnnxModel model, ParameterLayout layout, InMemoryDraws draws, bool envArena)
    {
        if (envArena) EnvArena.Value.ToString();
        var theta = new float[draws.Dimension];
        return Enumerable.Range(0, draws.Count).Select(s =>
        {
            draws.Read(s, theta);
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            if (envArena) options.AddSessionConfigEntry("session.use_env_allocators", "1");
            return new InferenceSession(layout.WithTheta(model, theta).Proto.ToByteArray(), options);
        }).ToArray();
    }

    /// <summary>Registers an environment CPU arena unless the predictor already did (then ORT refuses a second one).</summary>
    private static readonly Lazy<bool> EnvArena = new(() =>
    {
        try
        {
            using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
            using var arena = new OrtArenaCfg(0, -1, -1, -1);
            OrtEnv.Instance().CreateAndRegisterAllocator(info, arena);
        }
        catch (OnnxRuntimeException)
        {
        }
        return true;
    });

    private static double[] Medians(int repeats, params Action[] bodies)
    {
        foreach (var body in bodies) JitWarmup.Run(body);
        var samples = bodies.Select(_ => new double[repeats]).ToArray();
        for (var r = 0; r < repeats; r++)
        for (var b = 0; b < bodies.Length; b++)
        {
            var t0 = CpuClock.ThreadMicroseconds();
            for (var i = 0; i < 5; i++) bodies[b]();
            samples[b][r] = (CpuClock.ThreadMicroseconds() - t0) / 5e3;
        }
        return samples.Select(SampleMedian.Of).ToArray();
    }
}
