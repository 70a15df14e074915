using System.Diagnostics;
using System.Globalization;
using OnnxRay.Abstractions;
using OnnxRay.Benchmarks.Gradients;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Onnx.Density;
using OnnxRay.Samplers.Metropolis;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.ScaleOut;

/// <summary>
/// Device pool scaling with ORT CPU sessions standing in for devices (one intra-op thread each), per model
/// (boston_mlp, digits_cnn, full batch): (1) gradient evaluations per second for batches of K parameter vectors,
/// (2) draws per second of the Metropolis multiple-proposal mode (proposals = K) on the pool. The settings are
/// interleaved round by round (1 session, 2 sessions, 1, 2, ...) and the median of the rounds is reported, so
/// load drift on a shared machine hits every setting alike; the load average is printed before and after. The process
/// CPU time per unit is printed too: on a machine whose cores are busy with other work, wall-clock scaling is capped
/// by the CPU share the process gets, while equal CPU time per unit says the pool adds no work of its own.
/// Usage: <c>-- device-pool --k 8 --seconds 2 --rounds 5 --max-sessions 2 --models boston_mlp,digits_cnn</c>.
/// </summary>
public sealed class DevicePoolBenchmark : IBenchmark
{
    public string Name => "device-pool";
    public string Description =>
        "Gradient evaluations/s for a batch of K θ and Metropolis proposals=K draws/s over 1..N ORT CPU sessions (device pool); " +
        "--k 8 --seconds 2 --rounds 5 --max-sessions 2 --models boston_mlp,digits_cnn";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var k = a.Int("k", 8);
        var seconds = a.Double("seconds", 2);
        var rounds = a.Int("rounds", 5);
        var maxSessions = a.Int("max-sessions", 2);
        var models = a.String("models", "boston_mlp,digits_cnn").Split(',');
        Console.WriteLine($"device-pool: K = {k}, {Environment.ProcessorCount} cores, {rounds} interleaved rounds of ≥ {seconds}s per setting, median; " +
                          $"load average {LoadAverage.Now()}");
        foreach (var name in models)
        {
            var (data, likelihood, prior) = GradientRatioBenchmark.Cases[name];
            using var problem = PosteriorProblem.Open(new PosteriorDefinition
            {
                ModelPath = Path.Combine(RepositoryPaths.Models, name + ".onnx"),
                DataPath = Path.Combine(RepositoryPaths.Models, "data", data, "train.npz"),
                Likelihood = likelihood,
                Prior = prior,
            }, runSeed: 1);
            var pools = Enumerable.Range(1, maxSessions)
                .Select(s => DevicePoolLogDensity.Create(Enumerable.Repeat("cpu", s), _ => problem.CreateDensity(1))).ToList();
            try
            {
                Report($"{name} (D = {problem.Layout.Dimension:N0}, N = {problem.Data.Count:N0}): gradient evaluations/s, batches of K = {k}",
                    pools, rounds, pool => GradientRate(pool, problem.InitialTheta, k, seconds));
                Report($"{name}: Metropolis proposals = {k} draws/s (2K−1 = {2 * k - 1} log p per draw)",
                    pools, rounds, pool => MetropolisRate(pool, problem.InitialTheta, k, seconds));
            }
            finally
            {
                foreach (var pool in pools) pool.Dispose();
            }
        }
        Console.WriteLine($"load average after: {LoadAverage.Now()}");
        return 0;
    }

    private static void Report(string title, List<DevicePoolLogDensity> pools, int rounds, Func<DevicePoolLogDensity, Rate> measure)
    {
        foreach (var pool in pools) measure(pool); // warm-up: sessions, workers, caches
        var rates = pools.Select(_ => new List<Rate>()).ToList();
        for (var r = 0; r < rounds; r++)
            for (var p = 0; p < pools.Count; p++) rates[p].Add(measure(pools[p]));
        Console.WriteLine(title);
        Console.WriteLine("  sessions |   median/s | rounds (per s)                      | ×1 session | CPU ms per unit (median)");
        var baseline = SampleMedian.Of(rates[0].Select(x => x.PerSecond));
        for (var p = 0; p < pools.Count; p++)
        {
            var median = SampleMedian.Of(rates[p].Select(x => x.PerSecond));
            var all = string.Join(" ", rates[p].Select(x => x.PerSecond.ToString("F1", CultureInfo.InvariantCulture)));
            Console.WriteLine($"  {pools[p].Concurrency,8} | {median,10:F1} | {all,-35} | {median / baseline,9:F2}× | {SampleMedian.Of(rates[p].Select(x => x.CpuMilliseconds)),10:F2}");
        }
    }

    /// <summary>Units (evaluations or draws) per wall-clock second, and process CPU milliseconds per unit.</summary>
    private readonly record struct Rate(double PerSecond, double CpuMilliseconds);

    /// <summary>Repeats <paramref name="unitsOnce"/> for at least <paramref name="seconds"/>; it returns how many units it did.</summary>
    private static Rate Measure(double seconds, Func<int> unitsOnce)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long units = 0;
        do units += unitsOnce();
        while (clock.Elapsed.TotalSeconds < seconds);
        process.Refresh();
        return new Rate(units / clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMilliseconds / units);
    }

    /// <summary>Gradient evaluations per second for batches of K copies of θ₀ (slightly perturbed per row).</summary>
    private static Rate GradientRate(DevicePoolLogDensity pool, float[] theta0, int k, double seconds)
    {
        var d = theta0.Length;
        var thetas = new float[k * d];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < d; j++) thetas[i * d + j] = theta0[j] * (1 + 1e-3f * i);
        var values = new double[k];
        var gradients = new float[k * d];
        return Measure(seconds, () =>
        {
            pool.EvaluateExactBatch(thetas, values, gradients);
            return k;
        });
    }

    /// <summary>Draws per second of the multiple-try Metropolis kernel (proposals = K, warm-up adaptation off) on the pool.</summary>
    private static Rate MetropolisRate(DevicePoolLogDensity pool, float[] theta0, int k, double seconds)
    {
        using var kernel = new MetropolisKernel(new MetropolisOptions { Proposals = k, Scale = 1e-3 });
        kernel.Initialize(pool, theta0, new ChainRandom(7));
        return Measure(seconds, () =>
        {
            kernel.Step();
            return 1;
        });
    }

}
