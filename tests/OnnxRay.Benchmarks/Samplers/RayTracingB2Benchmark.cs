using System.Globalization;
using OnnxRay.Abstractions;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// samplers.md §5.4: gradient evaluations until the bias b² = mean_i (Ê[x_i²] − E[x_i²])²/Var[x_i²], averaged over
/// chains, first stays below 0.01, on the 100-d Gaussian with κ = 100 (rotated). Tuning gradients are counted.
/// Any sampler can be run by name: <c>-- rts-b2 --sampler hmc --option adapt-metric=false</c>.
/// </summary>
public sealed class RayTracingB2Benchmark : IBenchmark
{
    public string Name => "rts-b2";
    public string Description => "gradients to b² < 0.01 on the 100-d κ=100 rotated Gaussian (tuning counted); --sampler NAME --chains --warmup --draws --option k=v";

    private const double Threshold = 0.01;

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var samplerName = a.String("sampler", "raytracing");
        var chains = a.Int("chains", 64);
        var warmup = a.Int("warmup", 200);
        var draws = a.Int("draws", 2000);
        var dimension = a.Int("dim", 100);
        var kappa = a.Double("kappa", 100);
        var seed = (ulong)a.Int("seed", 2025);
        var factory = SamplerCatalog.Find(samplerName);
        var optionArgs = a.All("option");

        var prototype = GaussianTarget.IllConditioned(dimension, kappa, rotate: true);
        var exact = prototype.SecondMoment;
        var varianceOfSquare = prototype.VarianceOfSquare;

        var traces = new (long[] Gradients, double[] Bias)[chains];
        var warmupCost = new long[chains];
        var acceptance = new double[chains];
        var stepSize = new double[chains];
        var steps = new double[chains];
        var started = DateTime.UtcNow;
        Parallel.For(0, chains, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var target = GaussianTarget.IllConditioned(dimension, kappa, rotate: true);
            var random = ChainRandom.ForChain(seed, c);
            var start = target.RandomStart(random);
            var sumSquares = new double[dimension];
            var gradients = new long[draws];
            var bias = new double[draws];
            double acc = 0, stepSum = 0, stepCount = 0;
            SamplerChain.Run(factory, SamplerCatalog.Options(factory, optionArgs), target, start, random, warmup, draws,
                (i, x, info, cost) =>
                {
                    double b2 = 0;
                    for (var d = 0; d < dimension; d++)
                    {
                        sumSquares[d] += (double)x[d] * x[d];
                        var e = sumSquares[d] / (i + 1) - exact[d];
                        b2 += e * e / varianceOfSquare[d];
                    }
                    bias[i] = b2 / dimension;
                    gradients[i] = target.GradientCalls + target.ValueCalls;
                    acc += info.AcceptanceProbability;
                    stepSum += info.StepSize;
                    stepCount += info.IntegrationSteps;
                },
                _ => warmupCost[c] = target.GradientCalls + target.ValueCalls);
            traces[c] = (gradients, bias);
            acceptance[c] = acc / draws;
            stepSize[c] = stepSum / draws;
            steps[c] = stepCount / draws;
        });
        var elapsed = DateTime.UtcNow - started;

        // Average b² over chains on a common gradient axis (chains differ in gradients per draw).
        var maxGradient = traces.Min(t => t.Gradients[^1]);
        var grid = Enumerable.Range(1, 2000).Select(k => (long)(maxGradient * (k / 2000.0))).Distinct().ToArray();
        var averaged = new double[grid.Length];
        for (var g = 0; g < grid.Length; g++)
        {
            double sum = 0;
            foreach (var (gradients, bias) in traces)
            {
                var idx = Array.BinarySearch(gradients, grid[g]);
                if (idx < 0) idx = ~idx - 1;
                sum += idx < 0 ? double.PositiveInfinity : bias[idx];
            }
            averaged[g] = sum / chains;
        }
        long? crossing = null;
        for (var g = grid.Length - 1; g >= 0 && averaged[g] < Threshold; g--) crossing = grid[g];

        // Per-chain crossing (first draw after which that chain's own b² stays below the threshold).
        var perChain = traces.Select(t =>
        {
            long? first = null;
            for (var i = t.Bias.Length - 1; i >= 0 && t.Bias[i] < Threshold; i--) first = t.Gradients[i];
            return first;
        }).ToArray();
        var reached = perChain.Where(p => p.HasValue).Select(p => (double)p!.Value).OrderBy(p => p).ToArray();

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"rts-b2: {samplerName} on {dimension}-d Gaussian, κ = {kappa}, rotated; {chains} chains × ({warmup} warm-up + {draws} draws); options: {(optionArgs.Count == 0 ? "defaults" : string.Join(" ", optionArgs))}");
        Console.WriteLine($"  wall time {elapsed.TotalSeconds:F1} s on {Environment.ProcessorCount} cores");
        Console.WriteLine(string.Create(inv, $"  tuning gradients (mean per chain)      {warmupCost.Average(),10:F0}"));
        Console.WriteLine(string.Create(inv, $"  acceptance / dt / steps per trajectory {acceptance.Average(),10:F3} / {stepSize.Average():G4} / {steps.Average():F2}"));
        Console.WriteLine(string.Create(inv, $"  gradients to chain-mean b² < 0.01      {(crossing is { } cr ? cr.ToString(inv) : "not reached"),10}   (incl. tuning)"));
        if (crossing is { } c2)
            Console.WriteLine(string.Create(inv, $"    of which after tuning                {c2 - warmupCost.Average(),10:F0}"));
        Console.WriteLine(string.Create(inv, $"  per-chain b² < 0.01 reached            {reached.Length,10} / {chains}, median {(reached.Length > 0 ? reached[reached.Length / 2] : double.NaN):F0} gradients"));
        Console.WriteLine(string.Create(inv, $"  final chain-mean b²                    {averaged[^1],10:G3} at {grid[^1]} gradients"));
        Console.WriteLine("  published (BlackJAX, 128 chains, tuning not counted): NUTS 8,105   MCLMC 978; reference RTS C code best hand-tuned ≈ 1,740");
        return 0;
    }
}
