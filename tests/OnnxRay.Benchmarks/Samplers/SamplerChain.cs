using OnnxRay.Abstractions;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>Runs one chain of any sampler: warm-up with adaptation, then draws, with a callback per draw.</summary>
public static class SamplerChain
{
    /// <summary>Total gradient (and value-only) evaluations reported by the kernel.</summary>
    public readonly record struct Cost(long Gradients, long Values);

    public static Cost Run(ISamplerFactory factory, SamplerOptions options, ILogDensity density, float[] start, ChainRandom random,
        int warmup, int draws, Action<int, ReadOnlySpan<float>, StepInfo, Cost> onDraw, Action<Cost>? onWarmupEnd = null)
    {
        using var kernel = factory.CreateKernel(options);
        kernel.Initialize(density, start, random);
        long gradients = 0, values = 0;
        kernel.BeginWarmup(warmup);
        for (var i = 0; i < warmup; i++)
        {
            var info = kernel.Step();
            gradients += info.GradientEvaluations;
            values += info.DensityEvaluations;
            kernel.Adapt(info);
        }
        kernel.EndWarmup();
        onWarmupEnd?.Invoke(new Cost(gradients, values));
        for (var i = 0; i < draws; i++)
        {
            var info = kernel.Step();
            gradients += info.GradientEvaluations;
            values += info.DensityEvaluations;
            onDraw(i, kernel.Position, info, new Cost(gradients, values));
        }
        return new Cost(gradients, values);
    }
}
