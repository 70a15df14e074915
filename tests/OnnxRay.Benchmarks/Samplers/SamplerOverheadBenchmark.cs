using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using OnnxRay.Abstractions;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// Sampler bookkeeping time per gradient ÷ gradient time, at D = 10⁶ on a diagonal Gaussian whose log density and
/// gradient cost one fused pass (so this is the worst case: any real network gradient is far more expensive).
/// The density times its own calls; the rest of the wall time is the sampler's.
/// </summary>
public sealed class SamplerOverheadBenchmark : IBenchmark
{
    public string Name => "sampler-overhead";
    public string Description => "sampler time per step ÷ gradient time at D = 10⁶ with a one-pass density; --sampler NAME --dim --trajectories --option k=v";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var samplerName = a.String("sampler", "raytracing");
        var dimension = a.Int("dim", 1_000_000);
        var trajectories = a.Int("trajectories", 40);
        var factory = SamplerCatalog.Find(samplerName);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"sampler-overhead: {samplerName}, D = {dimension}, {trajectories} trajectories per setting, single thread");
        Console.WriteLine("  setting                                          grad µs   sampler µs/grad   overhead");

        var settings = samplerName == "raytracing"
            ? new[]
            {
                "integrator=kdk steps=20 dt=0.0005 refresh-rate=0 metropolis=true",
                "integrator=kdk steps=20 dt=0.0005 refresh-rate=0 metropolis=false",
                "integrator=omelyan steps=10 dt=0.0005 refresh-rate=0 metropolis=true",
                "integrator=random-kdk-dkd steps=20 dt=0.0005 refresh-rate=0 metropolis=false",
                "integrator=kdk steps=20 dt=0.0005 refresh-rate=1 metropolis=false",
            }
            : [string.Join(" ", a.All("option"))];
        foreach (var setting in settings)
        {
            var options = setting.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(a.All("option"));
            var density = new TimedDiagonalGaussian(dimension);
            var random = new ChainRandom(3);
            var start = new float[dimension];
            random.FillGaussian(start);
            var kernel = factory.CreateKernel(SamplerCatalog.Options(factory, samplerName == "raytracing" ? options : a.All("option")));
            kernel.Initialize(density, start, random);
            kernel.BeginWarmup(0);
            kernel.EndWarmup();
            for (var i = 0; i < 3; i++) kernel.Step(); // JIT and page faults
            density.Reset();
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < trajectories; i++) kernel.Step();
            sw.Stop();
            var total = sw.Elapsed.TotalSeconds;
            var gradient = density.Seconds / density.Calls;
            var samplerPerGradient = (total - density.Seconds) / density.Calls;
            Console.WriteLine(string.Create(inv, $"  {setting,-48} {gradient * 1e6,7:F0}   {samplerPerGradient * 1e6,15:F0}   {samplerPerGradient / gradient,8:P0}"));
            kernel.Dispose();
        }
        Console.WriteLine("  (gradient = one fused read-x/write-g pass; a network gradient costs ≥ 10³× more, so the ratio there is ~10³× smaller)");
        return 0;
    }

    /// <summary>N(0, I) computed in one fused pass (log p and gradient together); times its own calls.</summary>
    private sealed class TimedDiagonalGaussian(int dimension) : ILogDensity
    {
        public int Dimension { get; } = dimension;
        public bool IsStochastic => false;
        public long DataSetSize => 0;
        public long BatchSize => 0;
        public IReadOnlyList<ParameterGroup> Groups { get; } = ParameterGroup.Whole(dimension);
        public long Calls { get; private set; }
        public double Seconds { get; private set; }

        public void Reset()
        {
            Calls = 0;
            Seconds = 0;
        }

        public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient)
        {
            var t0 = Stopwatch.GetTimestamp();
            var result = Compute(theta, gradient);
            Seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            Calls++;
            return result;
        }

        public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => Evaluate(theta, gradient);

        public double EvaluateValue(ReadOnlySpan<float> theta)
        {
            var t0 = Stopwatch.GetTimestamp();
            var result = -0.5 * VectorMath.SumOfSquares(theta);
            Seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            Calls++;
            return result;
        }

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
