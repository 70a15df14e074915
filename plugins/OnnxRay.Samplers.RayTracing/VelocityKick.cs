using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The kick of one ray (samplers.md §1.2): bends v towards the gradient at constant |v| and returns ΔlnLum.
/// A ray of fewer than two dimensions has no refractive index, so it falls back to the HMC kick v ← v + h·g and
/// returns its kinetic-energy change instead (§1.10); the Metropolis test uses either the same way.
/// </summary>
public static class VelocityKick
{
    /// <summary>Kicks <paramref name="velocity"/> in place with time step <paramref name="h"/>; returns ΔlnLum (or ΔKE).</summary>
    public static double Apply(Span<float> velocity, ReadOnlySpan<float> gradient, double h)
    {
        if (velocity.Length < 2) return HamiltonianKick(velocity, gradient, h);
        var kick = Coefficients(RayVectorOps.KickReductions(velocity, gradient), h, velocity.Length);
        if (!kick.LeavesVelocityUnchanged)
            RayVectorOps.ScaleAndAdd(velocity, (float)kick.VelocityScale, gradient, (float)kick.GradientScale);
        return kick.DeltaLogLuminosity;
    }

    /// <summary>The kick of a ray of <paramref name="dimension"/> ≥ 2 from its reductions |v|², |g|², v·g.</summary>
    internal static KickCoefficients Coefficients((double VelocitySquared, double GradientSquared, double Dot) reductions, double h, int dimension) =>
        RayKickMath.FromReductions(Math.Sqrt(reductions.VelocitySquared), Math.Sqrt(reductions.GradientSquared), reductions.Dot, h, dimension);

    /// <summary>v ← v + h·g; returns ½|v'|² − ½|v|².</summary>
    public static double HamiltonianKick(Span<float> velocity, ReadOnlySpan<float> gradient, double h)
    {
        var before = VectorMath.SumOfSquares(velocity);
        TensorPrimitives.MultiplyAdd(gradient, (float)h, velocity, velocity);
        return 0.5 * (VectorMath.SumOfSquares(velocity) - before);
    }
}
