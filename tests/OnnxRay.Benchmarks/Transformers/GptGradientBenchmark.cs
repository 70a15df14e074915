using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.Transformers;

/// <summary>
/// GPT gradient cost. For a GPT ONNX with external data, runs in two child processes (in the caller's working directory,
/// not the model's folder)
///   fwd   a plain ORT session of the model on input_ids [B,T] (median per call),
///   grad  OrtLogDensity.Evaluate (categorical log p over [B,T,V] + prior + ∇θ, same batch),
/// and reports time grad÷fwd, grad÷(PyTorch forward+backward) and the peak resident memory (VmHWM) of each child and
/// their ratio: over the whole child (loading and building included) and over the timed calls alone (the peak is reset
/// through /proc/self/clear_refs once the session is ready, so it is the evaluation's own peak on top of what stays resident). The model is --model PATH, or generated on demand from --layers/--width/--heads/--context/--vocab by
/// models/export/gpt.py into models/generated/ (never committed). --torch auto times PyTorch now with
/// models/bench/torch_grad_timing.py (same config, batch, threads and clock); --torch JSON reads such a file (or
/// {"fwd_bwd_us": X}). Clock: thread CPU time with one intra-op thread (robust on a loaded machine; PyTorch on its thread
/// CPU clock too), else process CPU time (PyTorch then on wall time).
/// GPT-2 small: gpt-gradient --layers 12 --width 768 --heads 12 --context 128 --vocab 50257 --batch 1 --threads 1 --torch auto
/// </summary>
public sealed class GptGradientBenchmark : IBenchmark
{
    public string Name => "gpt-gradient";

    public string Description =>
        "GPT gradient eval ÷ plain forward and ÷ PyTorch fwd+bwd (time, peak memory; child processes); --model PATH or --layers L --width W " +
        "--heads H --context T --vocab V (generated), --batch 1 --seq T --threads 1 --repeats 5 --prior none --clock thread|process|wall --torch auto|JSON";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        if (a.Get("child") is { } mode) return Child(mode, a);
        var config = GptConfig.From(a);
        var model = a.Get("model") ?? config?.EnsureGenerated()
                    ?? throw new ArgumentException("give --model PATH, or --layers/--width/--heads/--context/--vocab to generate one with models/export/gpt.py");
        var childArgs = args.Where((_, i) => !IsOption(args, i, "model") && !IsOption(args, i, "torch")).ToList();
        childArgs.AddRange(["--model", Path.GetFullPath(model)]);
        if (a.Get("seq") is null && config is not null) childArgs.AddRange(["--seq", config.Context.ToString(CultureInfo.InvariantCulture)]);
        var threads = a.Int("threads", 1);
        var clock = ClockName(a);

        var fwd = RunChild("fwd", childArgs);
        var grad = RunChild("grad", childArgs);
        Console.WriteLine($"gpt-gradient: {model}, B={a.Int("batch", 1)}, T={grad.T}, {threads} intra-op thread(s), {clock} clock, ORT CPU, " +
                          $"{Environment.ProcessorCount} cores, load average {LoadAverage.Now()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  D = {grad.D:N0} parameters, V = {grad.V:N0}, prior {a.String("prior", "none")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  fwd   {fwd.Us,12:F0} µs   peak RSS {fwd.PeakMiB,8:F0} MiB (during the calls {fwd.CallPeakMiB,8:F0} MiB)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  grad  {grad.Us,12:F0} µs   peak RSS {grad.PeakMiB,8:F0} MiB (during the calls {grad.CallPeakMiB,8:F0} MiB)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  time grad÷fwd = {grad.Us / fwd.Us:F2}   peak memory grad÷fwd = {grad.PeakMiB / fwd.PeakMiB:F2} (during the calls {grad.CallPeakMiB / fwd.CallPeakMiB:F2})"));

        var torch = a.Get("torch");
        if (torch == "auto")
            torch = config?.RunTorchTiming(a.Int("batch", 1), threads, clock)
                    ?? throw new ArgumentException("--torch auto needs the --layers/--width/--heads/--context/--vocab configuration (PyTorch builds the same network)");
        if (torch is not null)
        {
            var (fwdBwd, torchFwd) = ReadTorch(torch, a.Int("batch", 1), threads);
            var inv = CultureInfo.InvariantCulture;
            var forward = torchFwd is { } tf ? string.Format(inv, ", fwd {0:F0} µs; our fwd÷torch fwd = {1:F2}", tf, fwd.Us / tf) : "";
            Console.WriteLine(string.Format(inv, "  PyTorch fwd+bwd {0:F0} µs{1} ({2})", fwdBwd, forward, torch));
            Console.WriteLine(string.Format(inv, "  grad÷torch fwd+bwd = {0:F2}", grad.Us / fwdBwd));
        }
        return 0;
    }

    private static bool IsOption(string[] args, int i, string name) =>
        args[i] == "--" + name || (i > 0 && args[i - 1] == "--" + name);

    private static string ClockName(SamplerBenchmarkArgs a) => a.Get("clock") ?? (a.Int("threads", 1) == 1 ? "thread" : "process");

    /// <summary>PyTorch's median fwd+bwd (and forward) µs for this batch and thread count.</summary>
    private static (double FwdBwd, double? Fwd) ReadTorch(string path, int batch, int threads)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (root.TryGetProperty("fwd_bwd_us", out var single)) return (single.GetDouble(), null);
        foreach (var row in root.GetProperty("results").EnumerateArray())
            if (row.GetProperty("model").GetString()!.StartsWith("gpt", StringComparison.Ordinal) &&
                row.GetProperty("batch").GetInt32() == batch && row.GetProperty("threads").GetInt32() == threads)
                return (row.GetProperty("grad_us").GetDouble(), row.GetProperty("forward_us").GetDouble());
        throw new InvalidOperationException($"{path} has no gpt row for batch {batch} and {threads} thread(s)");
    }

    private sealed record ChildResult(double Us, double PeakMiB, long D, long T, long V, double CallPeakMiB);

    private static ChildResult RunChild(string mode, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var entry = Environment.GetCommandLineArgs()[0];
        // Under the dotnet host the entry assembly is its first argument; the apphost (dotnet run) takes none.
        if (entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet") psi.ArgumentList.Add(entry);
        psi.ArgumentList.Add("gpt-gradient");
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("--child");
        psi.ArgumentList.Add(mode);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"child {mode} failed (exit {p.ExitCode}):\n{stdout}\n{stderr.Result}");
        var f = line.Split(' ');
        return new ChildResult(double.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
            long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture),
            double.Parse(f[6], CultureInfo.InvariantCulture));
    }

    private static int Child(string mode, SamplerBenchmarkArgs a)
    {
        var modelPath = a.Get("model")!;
        var batch = a.Int("batch", 1);
        var threads = a.Int("threads", 1);
        var repeats = a.Int("repeats", 5);
        Func<double> clock = ClockName(a) switch
        {
            "thread" => CpuClock.ThreadMicroseconds,
            "process" => CpuClock.ProcessMicroseconds,
            _ => CpuClock.WallMicroseconds,
        };
        var loaded = OnnxModel.Load(modelPath);
        var input = loaded.Proto.Graph.Input[0];
        var dims = input.Type.TensorType.Shape.Dim;
        var t = a.Int("seq", 0) is > 0 and var s ? s : dims.Count > 1 && dims[1].DimValue > 0 ? dims[1].DimValue : 16;
        var random = new Random(1);
        // Vocabulary size from the token embedding: the first Gather reading input_ids from a 2-D initializer.
        var inits = loaded.Proto.Graph.Initializer.ToDictionary(i => i.Name);
        var gather = loaded.Proto.Graph.Node.First(n => n.OpType == "Gather" && n.Input[1] == input.Name && inits.ContainsKey(n.Input[0]));
        var v = inits[gather.Input[0]].Dims[0];
        var ids = Enumerable.Range(0, (int)(batch * t)).Select(_ => (long)random.Next((int)v)).ToArray();
        var targets = Enumerable.Range(0, (int)(batch * t)).Select(_ => (long)random.Next((int)v)).ToArray();
        double us, overallPeak, callPeak;
        long d = 0;
        if (mode == "fwd")
        {
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            using var session = new InferenceSession(modelPath, options);
            using var x = OrtValue.CreateTensorValueFromMemory(ids, [batch, t]);
            var outName = session.OutputMetadata.Keys.First();
            using var runOptions = new RunOptions();
            (us, overallPeak, callPeak) = Measure(repeats, clock, () => { using var r = session.Run(runOptions, [input.Name], [x], [outName]); });
        }
        else
        {
            var model = ModelNormalizer.Normalize(loaded);
            var data = DensityData.FromArrays(new Dictionary<string, NpyArray>
            {
                [input.Name] = NpyArray.FromInt64s(ids, batch, t),
                ["target"] = NpyArray.FromInt64s(targets, batch, t),
            });
            using var density = OrtLogDensity.Create(model, data, DensityOptions.Parse("categorical", a.String("prior", "none")),
                new OrtLogDensityOptions { IntraOpThreads = threads });
            var theta = density.InitialTheta;
            var gradient = new float[density.Dimension];
            d = density.Dimension;
            (us, overallPeak, callPeak) = Measure(repeats, clock, () => density.Evaluate(theta, gradient));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {us:F1} {overallPeak:F1} {d} {t} {v} {callPeak:F1}"));
        return 0;
    }

    /// <summary>Median time per call, the peak RSS so far, and the peak RSS during the calls alone.</summary>
    private static (double Us, double OverallPeakMiB, double CallPeakMiB) Measure(int repeats, Func<double> clock, Action call)
    {
        var overall = PeakMiB();
        // "5" resets VmHWM to the current RSS (Linux ≥ 4.0); where that fails the call peak is the overall one.
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        var us = Median(repeats, clock, call);
        var during = PeakMiB();
        return (us, Math.Max(overall, during), during);
    }

    private static double PeakMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }

    private static double Median(int repeats, Func<double> clock, Action call)
    {
        call(); call();
        var samples = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            var start = clock();
            call();
            samples[r] = clock() - start;
        }
        return SampleMedian.Of(samples);
    }

    /// <summary>A GPT shape for models/export/gpt.py and models/bench/torch_grad_timing.py.</summary>
    private sealed record GptConfig(int Layers, int Width, int Heads, int Context, int Vocab)
    {
        private const string Python = "/usr/bin/python3";

        public static GptConfig? From(SamplerBenchmarkArgs a) =>
            a.Get("layers") is null ? null
                : new GptConfig(a.Int("layers", 2), a.Int("width", 32), a.Int("heads", 2), a.Int("context", 16), a.Int("vocab", 64));

        private string Tag => $"gpt_L{Layers}_W{Width}_H{Heads}_T{Context}_V{Vocab}";
        private string Folder => Path.Combine(RepositoryPaths.Models, "generated", Tag);
        private string[] ShapeArgs(string prefix) =>
        [
            $"--{prefix}layers", S(Layers), $"--{prefix}width", S(Width), $"--{prefix}heads", S(Heads),
            $"--{prefix}context", S(Context), $"--{prefix}vocab", S(Vocab),
        ];

        /// <summary>The generated model (random weights, external data), exported now if it is not there yet.</summary>
        public string EnsureGenerated()
        {
            var model = Path.Combine(Folder, "model.onnx");
            if (File.Exists(model) && File.Exists(model + ".data")) return model;
            Directory.CreateDirectory(Folder);
            Console.WriteLine($"generating {model} with models/export/gpt.py ...");
            RunPython(Path.Combine(RepositoryPaths.Models, "export", "gpt.py"), [.. ShapeArgs(""), "--out", model, "--external-data"]);
            return model;
        }

        /// <summary>
        /// Times PyTorch fwd+bwd of the same network; returns the JSON it wrote. The script has two clocks: this thread's CPU
        /// time ("cpu", matching our thread clock) and wall time (used for our process or wall clocks).
        /// </summary>
        public string RunTorchTiming(int batch, int threads, string clock)
        {
            var torchClock = clock == "thread" ? "cpu" : "wall";
            var json = Path.Combine(Folder, $"torch_B{batch}_t{threads}_{torchClock}.json");
            Console.WriteLine($"timing PyTorch into {json} ...");
            RunPython(Path.Combine(RepositoryPaths.Models, "bench", "torch_grad_timing.py"),
            [
                "--models", "gpt", .. ShapeArgs("gpt-"), "--batches", S(batch), "--threads", S(threads), "--clock", torchClock,
                "--warmup", "2", "--reps", "5", "--min-time", "0", "--out", json,
            ]);
            return json;
        }

        private static void RunPython(string script, string[] args)
        {
            var psi = new ProcessStartInfo(Python) { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(script)! };
            psi.ArgumentList.Add(script);
            foreach (var arg in args) psi.ArgumentList.Add(arg);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed with exit code {p.ExitCode}");
        }

        private static string S(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
