using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.Gradients;

/// <summary>
/// Gradient cost ÷ plain inference: per model (boston_mlp, digits_cnn), batch (1, 32, 256 rows of the committed train
/// data, repeated when needed) and intra-op thread count, the median time of
///   grad     OrtLogDensity.Evaluate (log density + ∇θ, full batch),
///   value    OrtLogDensity.EvaluateValue (the value-only density graph),
///   fwd      a plain ORT session of the original model, weights as initializers, same batch, preallocated output,
///   fwd-θin  the same model with every initializer turned into a graph input (isolates "weights are inputs"),
/// and PyTorch forward+backward (log density + backward) from models/bench/torch_grad_timing.py: with --torch run the
/// script is run for each case right before the case is timed here (same machine state, same clock), otherwise read from
/// models/bench/torch_timing.json (or --torch PATH) when present. Ratios grad÷fwd and grad÷torch.
/// --profile DIR additionally writes an ORT JSON profile of the gradient graph per case, the graph itself, and ORT's
/// optimised graphs of the gradient graph and of both forward baselines.
/// </summary>
public sealed class GradientRatioBenchmark : IBenchmark
{
    public string Name => "gradient-ratio";

    public string Description =>
        "gradient eval ÷ plain ORT forward (and ÷ PyTorch fwd+bwd from models/bench/torch_timing.json) for boston_mlp, digits_cnn; " +
        "--batches 1,32,256 --threads 1 --models boston_mlp,digits_cnn --repeats 7 --clock cpu|wall --torch PATH|run --python PYTHON --profile DIR";

    internal static readonly Dictionary<string, (string Data, string Likelihood, string Prior)> Cases = new()
    {
        // Likelihood and prior as in models/bench/torch_grad_timing.py, so the PyTorch column computes the same thing.
        ["boston_mlp"] = ("boston", "gaussian:0.5", "gaussian:1.0"),
        ["digits_cnn"] = ("digits", "categorical", "gaussian-fanin:1.0"),
    };

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var models = a.String("models", "boston_mlp,digits_cnn").Split(',');
        var batches = a.String("batches", "1,32,256").Split(',').Select(int.Parse).ToArray();
        var threads = a.String("threads", "1").Split(',').Select(int.Parse).ToArray();
        var repeats = a.Int("repeats", 7);
        var profileDir = a.Get("profile");
        var torchPath = a.String("torch", Path.Combine(RepositoryPaths.Models, "bench", "torch_timing.json"));
        var torchLive = torchPath == "run";
        _threadCpuClock = OperatingSystem.IsLinux() && a.String("clock", "cpu") == "cpu";
        if (threads.Any(t => t > 1)) _threadCpuClock = false;
        var clock = _threadCpuClock ? "cpu" : "wall";
        var python = a.String("python", "python3");
        var (torch, torchClock) = torchLive ? ([], clock) : ReadTorch(torchPath);

        Console.WriteLine($"gradient-ratio: median µs per call of {repeats} interleaved repeats (each ≥ 30 ms of calls), {(_threadCpuClock ? "thread CPU time" : "wall time")}, {Environment.ProcessorCount} cores, ORT CPU");
        Console.WriteLine(torchLive ? $"PyTorch column: {TorchScript} run per case ({python}, --clock {clock})"
            : torch.Count > 0 ? $"PyTorch column: {torchPath}" : $"PyTorch column: none ({torchPath} not found; use --torch run or run {TorchScript})");
        if (torch.Count > 0 && torchClock != clock)
            Console.WriteLine($"  note: the PyTorch column is on the {torchClock} clock and this run on the {clock} clock; grad÷torch is not like-for-like (use --torch run).");
        Console.WriteLine("  model        B    thr     grad µs    value µs      fwd µs  fwd-θin µs   torch fwd+bwd µs   grad÷fwd  grad÷torch  fwd-θin÷fwd  nodes grad/fwd");
        foreach (var name in models)
        {
            var (dataName, likelihood, prior) = Cases[name];
            var modelPath = Path.Combine(RepositoryPaths.Models, name + ".onnx");
            var model = ModelNormalizer.Normalize(OnnxModel.Load(modelPath));
            var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", dataName, "train.npz"));
            foreach (var b in batches)
            {
                var rows = RepeatRows(all, b);
                var data = DensityData.FromArrays(rows, dataName);
                foreach (var t in threads)
                {
                    if (torchLive) torch[(name, b, t)] = RunTorch(python, name, b, t, clock);
                    var options = new OrtLogDensityOptions { IntraOpThreads = t };
                    using var density = OrtLogDensity.Create(model, data, DensityOptions.Parse(likelihood, prior), options);
                    var theta = density.InitialTheta;
                    var gradient = new float[density.Dimension];
                    var x = rows["x"];
                    using var forward = new ForwardSession(OnnxModel.Load(modelPath).Proto, x, t, weightsAsInputs: false);
                    using var forwardWeightsIn = new ForwardSession(OnnxModel.Load(modelPath).Proto, x, t, weightsAsInputs: true);
                    var medians = Medians(repeats, () => density.Evaluate(theta, gradient), () => density.EvaluateValue(theta), forward.Run, forwardWeightsIn.Run);
                    var (grad, value, fwd, fwdIn) = (medians[0], medians[1], medians[2], medians[3]);
                    double? pt = torch.TryGetValue((name, b, t), out var us) ? us : null;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {name,-11} {b,4} {t,4} {grad,11:F1} {value,11:F1} {fwd,11:F1} {fwdIn,11:F1} {(pt is { } p ? p.ToString("F1", CultureInfo.InvariantCulture) : "-"),18} {grad / fwd,10:F2} {(pt is { } q ? (grad / q).ToString("F2", CultureInfo.InvariantCulture) : "-"),11} {fwdIn / fwd,12:F2} {density.Graph.Model.Graph.Node.Count,9}/{model.Proto.Graph.Node.Count}"));
                    if (profileDir is not null)
                    {
                        Profile(profileDir, $"{name}_b{b}_t{t}", density.Graph, rows, theta, t);
                        // ORT's optimised forms of the two forward baselines, to compare fusions and layouts with the gradient graph's.
                        using var f = new ForwardSession(OnnxModel.Load(modelPath).Proto, x, t, false, Path.Combine(profileDir, $"{name}_b{b}_t{t}.fwd.optimized.onnx"));
                        using var fi = new ForwardSession(OnnxModel.Load(modelPath).Proto, x, t, true, Path.Combine(profileDir, $"{name}_b{b}_t{t}.fwd-thetain.optimized.onnx"));
                    }
                }
            }
        }
        return 0;
    }

    /// <summary>The first B rows of every array, cycling through the data when B &gt; N.</summary>
    internal static Dictionary<string, NpyArray> RepeatRows(DensityData all, int b)
    {
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var (name, arr) in all.Arrays)
        {
            var row = (int)(arr.Shape.Skip(1).Aggregate(1L, (x, d) => x * d));
            var data = Array.CreateInstance(arr.Data.GetType().GetElementType()!, b * row);
            for (var i = 0; i < b; i++) Array.Copy(arr.Data, (long)(i % all.Count) * row, data, (long)i * row, row);
            result[name] = new NpyArray(arr.Dtype, [b, .. arr.Shape.Skip(1)], data);
        }
        return result;
    }

    /// <summary>A plain ORT session of the original model (preallocated output), optionally with its initializers fed as inputs.</summary>
    private sealed class ForwardSession : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly string[] _inputNames;
        private readonly OrtValue[] _inputValues;
        private readonly string[] _outputNames;
        private readonly OrtValue[] _outputValues;

        public ForwardSession(ModelProto proto, NpyArray x, int threads, bool weightsAsInputs, string? optimizedModelPath = null)
        {
            var weightValues = new List<(string Name, OrtValue Value)>();
            if (weightsAsInputs)
            {
                foreach (var init in proto.Graph.Initializer)
                {
                    if (init.DataType != OnnxType.Float) continue;
                    var dims = init.Dims.ToArray();
                    var values = TensorData.ReadFloats(null, init);
                    proto.Graph.Input.Add(OnnxRay.Onnx.Parameters.ThetaRewriter.TensorInput(init.Name, OnnxType.Float, dims));
                    weightValues.Add((init.Name, OrtValue.CreateTensorValueFromMemory(values, dims)));
                }
                var names = weightValues.Select(w => w.Name).ToHashSet();
                for (var i = proto.Graph.Initializer.Count - 1; i >= 0; i--)
                    if (names.Contains(proto.Graph.Initializer[i].Name)) proto.Graph.Initializer.RemoveAt(i);
            }
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            if (optimizedModelPath is not null) options.OptimizedModelFilePath = optimizedModelPath;
            _session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(proto), options);
            _inputNames = [proto.Graph.Input[0].Name, .. weightValues.Select(w => w.Name)];
            _inputValues = [OrtValue.CreateTensorValueFromMemory((float[])x.Data, x.Shape), .. weightValues.Select(w => w.Value)];
            _outputNames = [_session.OutputMetadata.Keys.First()];
            using var probe = _session.Run(_runOptions, _inputNames, _inputValues, _outputNames);
            var outShape = probe[0].GetTensorTypeAndShape().Shape;
            _outputValues = [OrtValue.CreateTensorValueFromMemory(new float[outShape.Aggregate(1L, (p, d) => p * d)], outShape)];
        }

        public void Run() => _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);

        public void Dispose()
        {
            foreach (var v in _inputValues.Concat(_outputValues)) v.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
        }
    }

    /// <summary>
    /// Median over <paramref name="repeats"/> of µs per call for each of <paramref name="calls"/>, each repeat ≥ 30 ms of
    /// calls, after warm-up; the calls take turns repeat by repeat, so a change in the machine's load hits all of them
    /// alike and their ratios stay fair. With --clock cpu (the default) the time is the calling thread's CPU time
    /// (CLOCK_THREAD_CPUTIME_ID on Linux), which a loaded, shared machine perturbs far less than wall time; with one
    /// intra-op thread ORT runs every kernel on the calling thread, so it is the whole cost. --clock wall measures
    /// elapsed time (needed for more than one thread).
    /// </summary>
    internal static double[] Medians(int repeats, params Action[] calls)
    {
        var perRepeat = new int[calls.Length];
        for (var c = 0; c < calls.Length; c++)
        {
            var sw = Stopwatch.StartNew();
            var warm = 0;
            while (sw.ElapsedMilliseconds < 100 || warm < 5) { calls[c](); warm++; }
            perRepeat[c] = Math.Max(5, (int)(30.0 * warm / Math.Max(1, sw.Elapsed.TotalMilliseconds)));
        }
        var samples = calls.Select(_ => new double[repeats]).ToArray();
        for (var r = 0; r < repeats; r++)
            for (var c = 0; c < calls.Length; c++)
            {
                var s = Now();
                for (var i = 0; i < perRepeat[c]; i++) calls[c]();
                samples[c][r] = (Now() - s) / perRepeat[c];
            }
        return samples.Select(SampleMedian.Of).ToArray();
    }

    private static bool _threadCpuClock = OperatingSystem.IsLinux();

    /// <summary>µs on the chosen clock.</summary>
    private static double Now() => _threadCpuClock ? CpuClock.ThreadMicroseconds() : CpuClock.WallMicroseconds();

    private static void Profile(string dir, string tag, DensityGraph graph, IReadOnlyDictionary<string, NpyArray> rows, float[] theta, int threads)
    {
        Directory.CreateDirectory(dir);
        var bytes = graph.ToBytes();
        File.WriteAllBytes(Path.Combine(dir, tag + ".onnx"), bytes);
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        options.ProfileOutputPathPrefix = Path.Combine(dir, tag); // before EnableProfiling, which passes it to ORT
        options.EnableProfiling = true;
        options.OptimizedModelFilePath = Path.Combine(dir, tag + ".optimized.onnx");
        using var session = new InferenceSession(bytes, options);
        var names = new List<string>();
        var values = new List<OrtValue>();
        foreach (var view in graph.ThetaViews)
        {
            names.Add(view.InputName);
            values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(theta, view.Offset, (int)view.Length), view.Shape));
        }
        foreach (var c in graph.Coefficients.Where(c => !c.HasDefault))
        {
            var value = new float[c.Length];
            c.Fill(value, graph.DefaultLikelihoodScale, 1.0);
            names.Add(c.InputName);
            values.Add(OrtValue.CreateTensorValueFromMemory(value, c.Shape));
        }
        foreach (var d in graph.DataInputs)
        {
            names.Add(d.Name);
            var arr = rows[d.Name];
            values.Add(arr.Data switch
            {
                float[] f => OrtValue.CreateTensorValueFromMemory(f, d.Shape),
                long[] l => OrtValue.CreateTensorValueFromMemory(l, d.Shape),
                _ => throw new NotSupportedException(arr.Dtype),
            });
        }
        using var runOptions = new RunOptions();
        string[] outputs = [DensityGraph.LogDensityOutput, .. graph.Gradient.Slices.Select(s => s.OutputName)];
        for (var i = 0; i < 200; i++)
        {
            using var r = session.Run(runOptions, names, values, outputs);
        }
        var file = session.EndProfiling();
        foreach (var v in values) v.Dispose();
        Console.WriteLine($"    profile: {file}");
    }

    private static string TorchScript => Path.Combine(RepositoryPaths.Models, "bench", "torch_grad_timing.py");

    /// <summary>PyTorch fwd+bwd µs per call (grad_us) by (model, batch, threads), and the clock the file says it used.</summary>
    private static (Dictionary<(string, int, int), double> Rows, string Clock) ReadTorch(string path)
    {
        var result = new Dictionary<(string, int, int), double>();
        if (!File.Exists(path)) return (result, "wall");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var row in doc.RootElement.GetProperty("results").EnumerateArray())
            result[(row.GetProperty("model").GetString()!, row.GetProperty("batch").GetInt32(), row.GetProperty("threads").GetInt32())] =
                row.GetProperty("grad_us").GetDouble();
        // Files written before the script had --clock measured wall time.
        return (result, doc.RootElement.TryGetProperty("clock", out var c) ? c.GetString()! : "wall");
    }

    /// <summary>Runs the PyTorch timing script for one case (dev-time Python with torch) and returns its grad_us.</summary>
    private static double RunTorch(string python, string model, int batch, int threads, string clock)
    {
        var output = Path.Combine(Path.GetTempPath(), $"onnxray-torch-{Environment.ProcessId}.json");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { TorchScript, "--models", model, "--batches", $"{batch}", "--threads", $"{threads}", "--clock", clock, "--out", output })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{TorchScript} failed ({process.ExitCode}): {stderr.Result}");
        try
        {
            return ReadTorch(output).Rows[(model, batch, threads)];
        }
        finally
        {
            File.Delete(output);
        }
    }
}
