using OnnxRay.Abstractions;
using OnnxRay.Samplers.RayTracing;
using OnnxRay.Samplers.Tests.Statistics;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.RayTracing;

/// <summary>Runs independent ray tracing chains on a target and records the post-warm-up draws.</summary>
internal static class SamplerRuns
{
    public sealed record RunSummary(DrawRecorder Draws, double MeanAcceptance, double StepSize, double MeanSteps, long GradientEvaluations, int Divergences);

    public static RunSummary Run(ILogDensity density, RayTracingOptions options, int chains, int warmup, int draws, ulong seed,
        Func<ChainRandom, float[]>? start = null)
    {
        var recorder = new DrawRecorder(density.Dimension);
        double acceptance = 0, stepSize = 0, steps = 0;
        long gradients = 0;
        var divergences = 0;
        for (var c = 0; c < chains; c++)
        {
            var random = ChainRandom.ForChain(seed, c);
            var x0 = start?.Invoke(random) ?? StandardStart(random, density.Dimension);
            using var kernel = new RayTracingKernel(options);
            kernel.Initialize(density, x0, random);
            kernel.BeginWarmup(warmup);
            for (var i = 0; i < warmup; i++)
            {
                var info = kernel.Step();
                gradients += info.GradientEvaluations;
                kernel.Adapt(info);
            }
            kernel.EndWarmup();
            recorder.BeginChain();
            for (var i = 0; i < draws; i++)
            {
                var info = kernel.Step();
                gradients += info.GradientEvaluations;
                acceptance += info.AcceptanceProbability;
                steps += info.IntegrationSteps;
                if (info.Divergent) divergences++;
                recorder.Add(kernel.Position);
            }
            stepSize += kernel.StepSize;
        }
        return new RunSummary(recorder, acceptance / (chains * draws), stepSize / chains, steps / (chains * draws), gradients, divergences);
    }

    private static float[] StandardStart(ChainRandom random, int d)
    {
        var x = new float[d];
        random.FillGaussian(x);
        return x;
    }

    /// <summary>Mean over coordinates of Ê[x_i²] with its MCSE (coordinates treated as independent).</summary>
    public static (double Mean, double StandardError) MeanSecondMoment(DrawRecorder draws)
    {
        double sum = 0, variance = 0;
        for (var i = 0; i < draws.Dimension; i++)
        {
            var (e, se) = draws.Estimate(i, x => x * x);
            sum += e;
            variance += se * se;
        }
        return (sum / draws.Dimension, Math.Sqrt(variance) / draws.Dimension);
    }
}
