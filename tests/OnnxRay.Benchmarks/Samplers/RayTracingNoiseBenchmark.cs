using System.Globalization;
using OnnxRay.Abstractions;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// The paper's noisy-gradient test (samplers.md §1.7 Eq. 34–35, §1.14): 10⁴-d N(0, I), gradient noise σ_sto per
/// coordinate, no Metropolis test, fixed Δφ ≈ 0.03 (dt 0.0302, 52 steps, full refresh per trajectory). Measures the
/// shift of ⟨lnL_true⟩ and fits σ_c² in |ΔlnL| = (σ_sto/σ_c)². Paper: σ_c² ≈ 3.2 (RTS) vs ≈ 0.012 (HMC).
/// </summary>
public sealed class RayTracingNoiseBenchmark : IBenchmark
{
    public string Name => "rts-noise";
    public string Description => "noisy-gradient bias on a 10⁴-d Gaussian, fit σ_c² (Eq. 35); --sampler raytracing|hmc --sigmas a,b,c --trajectories N";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var samplerName = a.String("sampler", "raytracing");
        var dimension = a.Int("dim", 10_000);
        var trajectories = a.Int("trajectories", 300);
        var burn = a.Int("burn", 30);
        var chains = a.Int("chains", 2);
        var factory = SamplerCatalog.Find(samplerName);
        var sigmas = a.Doubles("sigmas", samplerName == "hmc" ? [0, 0.3, 0.5, 1.0] : [0, 3, 5, 10, 20]);
        // The fixed Δφ ≈ 0.03 setting in each sampler's own option names; --option overrides.
        var defaults = samplerName switch
        {
            "raytracing" => new List<string> { "integrator=random-kdk-dkd", "dt=0.0302", "steps=52", "metropolis=false", "refresh-rate=0" },
            "hmc" => new List<string> { "mode=naive", "step-size=0.0302", "steps=52", "adapt-step-size=false", "adapt-metric=false" },
            _ => new List<string>(),
        };
        defaults.AddRange(a.All("option"));
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"rts-noise: {samplerName}, D = {dimension}, {chains} chains × ({burn} burn-in + {trajectories}) trajectories; options: {string.Join(" ", defaults)}");
        Console.WriteLine("  σ_sto    ⟨lnL_true⟩ − (−D/2)    MCSE    implied σ_c² = σ²/|Δ|");

        var rows = new List<(double Sigma, double Bias, double Se)>();
        foreach (var sigma in sigmas)
        {
            var means = new double[chains];
            var ses = new double[chains];
            Parallel.For(0, chains, c =>
            {
                var random = ChainRandom.ForChain(77, c);
                var density = new SamplerNoisyGaussian(dimension, sigma, random.Fork());
                var start = new float[dimension];
                random.FillGaussian(start); // start on the typical set of the true target
                var lnL = new double[trajectories];
                SamplerChain.Run(factory, SamplerCatalog.Options(factory, defaults), density, start, random, 0, burn + trajectories,
                    (i, x, _, _) => { if (i >= burn) lnL[i - burn] = density.EvaluateValue(x); });
                means[c] = lnL.Average() + dimension / 2.0;
                ses[c] = BatchMeansError(lnL);
            });
            var bias = means.Average();
            var se = Math.Sqrt(ses.Sum(s => s * s)) / chains;
            rows.Add((sigma, bias, se));
            Console.WriteLine(string.Create(inv, $"  {sigma,5:G3}   {bias,12:F2}            {se,6:F2}   {(sigma > 0 ? (sigma * sigma / Math.Abs(bias)).ToString("G3", inv) : "-"),10}"));
        }
        // Least squares through the origin of |Δ| = σ²·(1/σ_c²), weighted by 1/MCSE², over σ > 0.
        double num = 0, den = 0;
        foreach (var (s, b, e) in rows.Where(r => r.Sigma > 0))
        {
            var w = 1.0 / Math.Max(e * e, 1e-12);
            num += w * s * s * Math.Abs(b);
            den += w * s * s * s * s;
        }
        Console.WriteLine(string.Create(inv, $"  fitted σ_c² = {den / num:G3}   (paper: RTS ≈ 3.2, HMC ≈ 0.012; reference C code 2.98 / 0.0097)"));
        return 0;
    }

    private static double BatchMeansError(double[] series)
    {
        var batches = Math.Max(2, (int)Math.Sqrt(series.Length));
        var size = series.Length / batches;
        var m = Enumerable.Range(0, batches).Select(b => series.Skip(b * size).Take(size).Average()).ToArray();
        var mean = m.Average();
        return Math.Sqrt(m.Sum(x => (x - mean) * (x - mean)) / (batches - 1) / batches);
    }
}
