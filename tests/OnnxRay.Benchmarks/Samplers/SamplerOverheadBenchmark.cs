using System.Globalization;
using System.Numerics.Tensors;
using System.Numerics;
using System.Runtime.InteropServices;
using OnnxRay.Abstractions;
using OnnxRay.Onnx.Density;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// Sampler time per gradient ÷ gradient time at D ≈ 10⁶, on the calling thread's CPU clock (a loaded machine perturbs
/// it far less than wall time), median over repeats. Two densities:
///   gaussian  N(0, I) whose log p and gradient cost one fused pass (read x, write g): the floor no sampler can beat,
///             since any kernel needs at least a reduction pass and an update pass per gradient;
///   mlp       a real network: an MLP classifier (784→1024→256→10, D ≈ 1.07 M) built in memory, through the real
///             OrtLogDensity (categorical likelihood, gaussian-fanin prior) on random data, batch 32 and 1, one thread.
/// "passes" is the sampler time in units of one x ← x + h·v pass over D floats timed the same way.
/// </summary>
public sealed class SamplerOverheadBenchmark : IBenchmark
{
    public string Name => "sampler-overhead";
    public string Description =>
        "sampler time per gradient ÷ gradient time at D ≈ 10⁶ (thread CPU time): --density gaussian,mlp --sampler raytracing,hmc " +
        "--dim 1000000 --layers 784,1024,256,10 --batches 32,1 --trajectories N --repeats 5 --option k=v";

    private static readonly Dictionary<string, string[]> Settings = new()
    {
        ["raytracing"] =
        [
            "integrator=kdk steps=20 dt=0.0005 refresh-rate=0 metropolis=true",
            "integrator=kdk steps=20 dt=0.0005 refresh-rate=0 metropolis=false",
            "integrator=omelyan steps=10 dt=0.0005 refresh-rate=0 metropolis=true",
            "integrator=random-kdk-dkd steps=20 dt=0.0005 refresh-rate=0 metropolis=false",
            "integrator=kdk steps=20 dt=0.0005 refresh-rate=1 metropolis=false",
        ],
        ["hmc"] = ["steps=20 step-size=0.0005 adapt-step-size=false adapt-metric=false"],
    };

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var densities = a.String("density", "gaussian,mlp").Split(',');
        var samplers = a.String("sampler", "raytracing,hmc").Split(',');
        var repeats = a.Int("repeats", 5);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"sampler-overhead: thread CPU time, median of {repeats} repeats, single thread; load average {LoadAverage.Now()}");
        foreach (var densityName in densities)
        {
            foreach (var (label, density, trajectories) in Densities(densityName, a))
            {
                using var owner = density as IDisposable;
                var timed = new TimedLogDensity(density);
                var passMicroseconds = OnePassMicroseconds(density.Dimension);
                var drawMicroseconds = GaussianFillMicroseconds(density.Dimension);
                Console.WriteLine(string.Create(inv,
                    $"{label}: D = {density.Dimension}, {trajectories} trajectories per repeat; one x+=h·v pass = {passMicroseconds:F0} µs, " +
                    $"D normal draws = {drawMicroseconds:F0} µs ({1000 * drawMicroseconds / density.Dimension:F2} ns each)"));
                Console.WriteLine("  sampler     setting                                                        grad µs   sampler µs/grad   passes   overhead");
                foreach (var samplerName in samplers)
                {
                    var factory = SamplerCatalog.Find(samplerName);
                    var extra = a.All("option");
                    var settings = Settings.TryGetValue(samplerName, out var known) ? known : [""];
                    foreach (var setting in settings)
                    {
                        var options = setting.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(extra);
                        var (gradient, sampler) = Measure(factory, SamplerCatalog.Options(factory, options), timed, trajectories, repeats);
                        Console.WriteLine(string.Create(inv,
                            $"  {samplerName,-11} {setting,-62} {gradient,7:F0}   {sampler,15:F1}   {sampler / passMicroseconds,6:F2}   {sampler / gradient,8:P1}"));
                    }
                }
            }
        }
        return 0;
    }

    private static IEnumerable<(string Label, ILogDensity Density, int Trajectories)> Densities(string name, SamplerBenchmarkArgs a)
    {
        switch (name)
        {
            case "gaussian":
                yield return ("one-pass N(0, I) (worst case)", new OnePassGaussian(a.Int("dim", 1_000_000)), a.Int("trajectories", 20));
                break;
            case "mlp":
                var layers = a.String("layers", "784,1024,256,10").Split(',').Select(int.Parse).ToArray();
                foreach (var batch in a.String("batches", "32,1").Split(',').Select(int.Parse))
                {
                    var model = MlpClassifierModel.Build(layers, batch, seed: 1);
                    var data = MlpClassifierModel.RandomData(layers[0], layers[^1], batch, seed: 2);
                    var density = OrtLogDensity.Create(model, data, DensityOptions.Parse("categorical", "gaussian-fanin:1"),
                        new OrtLogDensityOptions { IntraOpThreads = 1 });
                    yield return ($"MLP {string.Join("→", layers)}, batch {batch}, OrtLogDensity", density, a.Int("trajectories", 3));
                }
                break;
            default:
                throw new ArgumentException($"--density: unknown density '{name}' (gaussian, mlp)");
        }
    }

    /// <summary>Median over repeats of (gradient µs per call, sampler µs per gradient).</summary>
    private static (double Gradient, double Sampler) Measure(ISamplerFactory factory, SamplerOptions options, TimedLogDensity density, int trajectories, int repeats)
    {
        var random = new ChainRandom(3);
        var start = new float[density.Dimension];
        random.FillGaussian(start);
        if (StartOf(density) is { } own) own.CopyTo(start, 0);
        using var kernel = factory.CreateKernel(options);
        kernel.Initialize(density, start, random);
        kernel.BeginWarmup(0);
        kernel.EndWarmup();
        for (var i = 0; i < 2; i++) kernel.Step(); // JIT and page faults
        var gradients = new double[repeats];
        var samplers = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            density.Reset();
            var t0 = CpuClock.ThreadMicroseconds();
            for (var i = 0; i < trajectories; i++) kernel.Step();
            var total = CpuClock.ThreadMicroseconds() - t0;
            gradients[r] = density.GradientMicroseconds / density.GradientCalls;
            samplers[r] = (total - density.GradientMicroseconds - density.ValueMicroseconds) / density.GradientCalls;
        }
        return (SampleMedian.Of(gradients), SampleMedian.Of(samplers));
    }

    /// <summary>The network's own weights as the start for a network density (a Gaussian start would be far out).</summary>
    private static float[]? StartOf(TimedLogDensity density) => density.Inner is OrtLogDensity ort ? ort.InitialTheta : null;

    /// <summary>Median µs of x ← x + h·v over <paramref name="dimension"/> floats, the unit the sampler cost is given in.</summary>
    private static double OnePassMicroseconds(int dimension)
    {
        var x = new float[dimension];
        var v = new float[dimension];
        var samples = new double[9];
        for (var r = -2; r < samples.Length; r++)
        {
            var t0 = CpuClock.ThreadMicroseconds();
            for (var i = 0; i < 10; i++) TensorPrimitives.MultiplyAdd(v, 1e-3f, x, x);
            if (r >= 0) samples[r] = (CpuClock.ThreadMicroseconds() - t0) / 10;
        }
        return SampleMedian.Of(samples);
    }

    /// <summary>Median µs of <paramref name="dimension"/> standard normal draws (what a partial refresh costs per step on top of its pass).</summary>
    private static double GaussianFillMicroseconds(int dimension)
    {
        var random = new ChainRandom(1);
        var xi = new double[dimension];
        var samples = new double[9];
        for (var r = -3; r < samples.Length; r++) // a few fills first: the fill's methods are compiled once they run
        {
            var t0 = CpuClock.ThreadMicroseconds();
            random.FillGaussian(xi);
            if (r >= 0) samples[r] = CpuClock.ThreadMicroseconds() - t0;
        }
        return SampleMedian.Of(samples);
    }

    /// <summary>N(0, I) computed in one fused pass (log p and gradient together).</summary>
    private sealed class OnePassGaussian(int dimension) : ILogDensity
    {
        public int Dimension { get; } = dimension;
        public bool IsStochastic => false;
        public long DataSetSize => 0;
        public long BatchSize => 0;
        public IReadOnlyList<ParameterGroup> Groups { get; } = ParameterGroup.Whole(dimension);
        public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => Compute(theta, gradient);

        public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => Compute(theta, gradient);

        public double EvaluateValue(ReadOnlySpan<float> theta) => -0.5 * VectorMath.SumOfSquares(theta);

        private static double Compute(ReadOnlySpan<float> x, Span<float> g)
        {
            // Unit precision: g = −x, log p = −½|x|², fused into one SIMD pass with a double accumulator.
            var acc = Vector<double>.Zero;
            var i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var xb = MemoryMarshal.Cast<float, Vector<float>>(x);
                var gb = MemoryMarshal.Cast<float, Vector<float>>(g);
                for (var k = 0; k < xb.Length; k++)
                {
                    gb[k] = -xb[k];
                    Vector.Widen(xb[k], out var lo, out var hi);
                    acc += lo * lo + hi * hi;
                }
                i = xb.Length * Vector<float>.Count;
            }
            var sum = Vector.Sum(acc);
            for (; i < x.Length; i++)
            {
                g[i] = -x[i];
                sum += (double)x[i] * x[i];
            }
            return -0.5 * sum;
        }
    }
}
