using System.Numerics.Tensors;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>The drift x ← x + h·v (samplers.md §1.3): a distance h·|v| ≈ h·√D along the ray.</summary>
public static class PositionDrift
{
    public static void Apply(Span<float> position, ReadOnlySpan<float> velocity, double h) =>
        TensorPrimitives.MultiplyAdd(velocity, (float)h, position, position);
}
