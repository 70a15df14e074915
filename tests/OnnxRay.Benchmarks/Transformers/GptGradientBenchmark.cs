using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;

namespace OnnxRay.Benchmarks.Transformers;

/// <summary>
/// GPT gradient cost: for a GPT ONNX (models/export/gpt.py, usually with --external-data), runs in two child processes
///   fwd   a plain ORT session of the model on input_ids [B,T] (median µs per call),
///   grad  OrtLogDensity.Evaluate (categorical log p over [B,T,V] + gaussian prior + ∇θ, same batch),
/// and reports time grad÷fwd, grad÷(PyTorch fwd+bwd) when --torch JSON {"fwd_bwd_us": X} is given, and the peak resident
/// memory (VmHWM) of each child and their ratio. Usage: gpt-gradient --model PATH --batch 8 --seq T (default: the input's static length, else 16) --threads 2 --repeats 5 [--torch JSON].
/// </summary>
public sealed class GptGradientBenchmark : IBenchmark
{
    public string Name => "gpt-gradient";

    public string Description => "GPT gradient eval ÷ plain forward (time and peak memory, child processes); --model PATH --batch 8 --seq T --threads 2 --repeats 5 --torch JSON";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var model = a.Get("model") ?? throw new ArgumentException("--model PATH is required (generate one with models/export/gpt.py --external-data)");
        var batch = a.Int("batch", 8);
        var threads = a.Int("threads", 2);
        var repeats = a.Int("repeats", 5);
        var seq = a.Int("seq", 0);
        if (a.Get("child") is { } mode) return Child(mode, model, batch, threads, repeats, seq);

        var fwd = RunChild("fwd", args);
        var grad = RunChild("grad", args);
        Console.WriteLine($"gpt-gradient: {model}, B={batch}, {threads} intra-op threads, ORT CPU, {Environment.ProcessorCount} cores");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  D = {grad.D:N0} parameters, T = {grad.T}, V = {grad.V}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  fwd   {fwd.Us,12:F0} µs   peak RSS {fwd.PeakMiB,8:F0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  grad  {grad.Us,12:F0} µs   peak RSS {grad.PeakMiB,8:F0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  time grad÷fwd = {grad.Us / fwd.Us:F2}   peak memory grad÷fwd = {grad.PeakMiB / fwd.PeakMiB:F2}"));
        if (a.Get("torch") is { } torchPath)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(torchPath));
            var us = doc.RootElement.GetProperty("fwd_bwd_us").GetDouble();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  PyTorch fwd+bwd {us:F0} µs: grad÷torch = {grad.Us / us:F2}"));
        }
        return 0;
    }

    private sealed record ChildResult(double Us, double PeakMiB, long D, long T, long V);

    private static ChildResult RunChild(string mode, string[] args)
    {
        // Children run in the model's folder: the density graph's shape probe hands ORT the model as bytes, and ORT then
        // resolves (and confines) relative external-data paths against the working directory.
        var a = new SamplerBenchmarkArgs(args);
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(a.Get("model")!))!,
        };
        var entry = Environment.GetCommandLineArgs()[0];
        if (entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) psi.ArgumentList.Add(entry);
        psi.ArgumentList.Add("gpt-gradient");
        for (var i = 0; i < args.Length; i++)
            psi.ArgumentList.Add(i > 0 && args[i - 1] == "--model" ? Path.GetFullPath(args[i]) : args[i]);
        psi.ArgumentList.Add("--child");
        psi.ArgumentList.Add(mode);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"child {mode} failed (exit {p.ExitCode}):\n{stdout}\n{stderr}");
        var f = line.Split(' ');
        return new ChildResult(double.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
            long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture));
    }

    private static int Child(string mode, string modelPath, int batch, int threads, int repeats, int seq)
    {
        var loaded = OnnxModel.Load(modelPath);
        var input = loaded.Proto.Graph.Input[0];
        var dims = input.Type.TensorType.Shape.Dim;
        var t = seq > 0 ? seq : dims.Count > 1 && dims[1].DimValue > 0 ? dims[1].DimValue : 16;
        var random = new Random(1);
        // Vocabulary size from the token embedding: the first Gather reading input_ids from a 2-D initializer.
        var inits = loaded.Proto.Graph.Initializer.ToDictionary(i => i.Name);
        var gather = loaded.Proto.Graph.Node.First(n => n.OpType == "Gather" && n.Input[1] == input.Name && inits.ContainsKey(n.Input[0]));
        var v = inits[gather.Input[0]].Dims[0];
        var ids = Enumerable.Range(0, (int)(batch * t)).Select(_ => (long)random.Next((int)v)).ToArray();
        var targets = Enumerable.Range(0, (int)(batch * t)).Select(_ => (long)random.Next((int)v)).ToArray();
        double us;
        long d = 0;
        if (mode == "fwd")
        {
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            using var session = new InferenceSession(modelPath, options);
            using var x = OrtValue.CreateTensorValueFromMemory(ids, [batch, t]);
            var outName = session.OutputMetadata.Keys.First();
            using var runOptions = new RunOptions();
            us = Median(repeats, () => { using var r = session.Run(runOptions, [input.Name], [x], [outName]); });
        }
        else
        {
            var model = ModelNormalizer.Normalize(loaded);
            var data = DensityData.FromArrays(new Dictionary<string, NpyArray>
            {
                [input.Name] = NpyArray.FromInt64s(ids, batch, t),
                ["target"] = NpyArray.FromInt64s(targets, batch, t),
            });
            using var density = OrtLogDensity.Create(model, data, DensityOptions.Parse("categorical", "gaussian:1"), new OrtLogDensityOptions { IntraOpThreads = threads });
            var theta = density.InitialTheta;
            var gradient = new float[density.Dimension];
            d = density.Dimension;
            us = Median(repeats, () => density.Evaluate(theta, gradient));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {us:F1} {PeakMiB():F1} {d} {t} {v}"));
        return 0;
    }

    private static double PeakMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }

    private static double Median(int repeats, Action call)
    {
        call(); call();
        var samples = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            call();
            samples[r] = sw.Elapsed.TotalMicroseconds;
        }
        Array.Sort(samples);
        return samples[repeats / 2];
    }
}
