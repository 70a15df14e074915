using System.Diagnostics;
using OnnxRay.Onnx.Density;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.ScaleOut;

/// <summary>
/// Throughput of batched log p evaluations (boston_mlp, full batch) on a device pool of 1, 2, ... ORT CPU sessions
/// standing in for devices (one intra-op thread each). Reports evaluations per second and the speed-up over one session.
/// Usage: <c>-- device-pool [K=8] [seconds=3] [max-sessions=2] [gradients]</c>.
/// </summary>
public sealed class DevicePoolBenchmark : IBenchmark
{
    public string Name => "device-pool";
    public string Description => "Batched log p (and gradient) evaluations over 1..N ORT CPU sessions (device pool) on boston_mlp.";

    public int Run(string[] args)
    {
        var k = args.Length > 0 ? int.Parse(args[0]) : 8;
        var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var maxSessions = args.Length > 2 ? int.Parse(args[2]) : 2;
        var gradients = args.Contains("gradients");
        var definition = new PosteriorDefinition
        {
            ModelPath = Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx"),
            DataPath = Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"),
            Likelihood = "gaussian:0.5",
            Prior = "gaussian:1",
        };
        using var problem = PosteriorProblem.Open(definition, runSeed: 1);
        var d = problem.Layout.Dimension;
        var thetas = new float[k * d];
        for (var i = 0; i < k; i++) problem.InitialTheta.CopyTo(thetas, i * d);
        Console.WriteLine($"boston_mlp D={d}, batch K={k}, {(gradients ? "log p + gradient" : "log p only")}, {Environment.ProcessorCount} cores, {seconds}s per setting");
        Console.WriteLine("sessions | evaluations/s | speed-up");
        double baseline = 0;
        for (var sessions = 1; sessions <= maxSessions; sessions++)
        {
            var next = 100;
            using var pool = DevicePoolLogDensity.Create(Enumerable.Repeat("cpu", sessions), _ => problem.CreateDensity(next++));
            var values = new double[k];
            var grads = new float[k * d];
            void Once()
            {
                if (gradients) pool.EvaluateExactBatch(thetas, values, grads);
                else pool.EvaluateValues(thetas, values);
            }
            for (var w = 0; w < 20; w++) Once();
            var clock = Stopwatch.StartNew();
            long evaluations = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                Once();
                evaluations += k;
            }
            var rate = evaluations / clock.Elapsed.TotalSeconds;
            if (sessions == 1) baseline = rate;
            Console.WriteLine($"{sessions,8} | {rate,13:F0} | {rate / baseline,7:F2}×");
        }
        return 0;
    }
}
