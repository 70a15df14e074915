using OnnxRay.Abstractions;
using OnnxRay.Samplers.Tests.Statistics;

namespace OnnxRay.Samplers.Tests.Hmc;

/// <summary>What a test chain did after warm-up (and in total, for gradient counts).</summary>
public sealed record ChainSummary(double MeanAcceptance, int Divergences, int WarmupDivergences, long Gradients, long DensityEvaluations, double LastStepSize);

/// <summary>
/// Runs a kernel the way the driver does (Initialize, BeginWarmup, Step+Adapt × W, EndWarmup, Step × N) and records
/// the post-warm-up draws. Shared by the HMC and Metropolis tests.
/// </summary>
public static class ChainRunner
{
    public static ChainSummary Run(ISamplerKernel kernel, ILogDensity density, ReadOnlySpan<float> start, ChainRandom random,
        int warmup, int draws, DrawRecorder? recorder = null, Action<StepInfo, ISamplerKernel>? onDraw = null, int thin = 1)
    {
        kernel.Initialize(density, start, random);
        long gradients = 0, evaluations = 0;
        var warmupDivergences = 0;
        if (warmup > 0)
        {
            kernel.BeginWarmup(warmup);
            for (var i = 0; i < warmup; i++)
            {
                var info = kernel.Step();
                kernel.Adapt(info);
                gradients += info.GradientEvaluations;
                evaluations += info.DensityEvaluations;
                if (info.Divergent) warmupDivergences++;
            }
            kernel.EndWarmup();
        }
        recorder?.BeginChain();
        double acceptance = 0;
        var divergences = 0;
        var lastStep = double.NaN;
        for (var i = 0; i < draws; i++)
        {
            var info = kernel.Step();
            gradients += info.GradientEvaluations;
            evaluations += info.DensityEvaluations;
            acceptance += info.AcceptanceProbability;
            if (info.Divergent) divergences++;
            lastStep = info.StepSize;
            // Thinning keeps the MCSE computation cheap for slowly mixing chains; it does not bias the moments.
            if ((i + 1) % thin == 0) recorder?.Add(kernel.Position);
            onDraw?.Invoke(info, kernel);
        }
        return new ChainSummary(acceptance / Math.Max(1, draws), divergences, warmupDivergences, gradients, evaluations, lastStep);
    }

    /// <summary>Runs <paramref name="chains"/> independent chains (seeds 1..chains from <paramref name="runSeed"/>) into one recorder.</summary>
    public static IReadOnlyList<ChainSummary> RunChains(Func<ISamplerKernel> createKernel, Func<ILogDensity> createDensity,
        Func<ILogDensity, ChainRandom, float[]> start, ulong runSeed, int chains, int warmup, int draws, DrawRecorder recorder)
    {
        var summaries = new List<ChainSummary>();
        for (var c = 0; c < chains; c++)
        {
            var random = ChainRandom.ForChain(runSeed, c);
            var density = createDensity();
            using var kernel = createKernel();
            summaries.Add(Run(kernel, density, start(density, random), random, warmup, draws, recorder));
        }
        return summaries;
    }
}
