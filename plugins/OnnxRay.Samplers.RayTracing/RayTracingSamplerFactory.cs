using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>Plugin entry point of the ray tracing sampler (Behroozi 2025), registered as "raytracing".</summary>
public sealed class RayTracingSamplerFactory : SamplerFactory<RayTracingOptions>
{
    public override string Name => "raytracing";

    public override string Description =>
        "Ray tracing sampler: constant-speed rays bent by Snell's law; robust to minibatch gradient noise; self-tuning step size and trajectory length.";

    protected override ISamplerKernel CreateKernel(RayTracingOptions options) => new RayTracingKernel(options);
}
