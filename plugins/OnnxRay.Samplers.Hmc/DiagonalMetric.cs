using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Hmc;

/// <summary>
/// Diagonal mass matrix M: momentum draws p ~ N(0, M), velocities M⁻¹p and kinetic energy ½pᵀM⁻¹p.
/// Stored as the inverse metric M⁻¹ (the posterior variance estimate) and √M for momentum draws.
/// </summary>
internal sealed class DiagonalMetric
{
    private readonly float[] _inverseMass;
    private readonly float[] _sqrtMass;

    public DiagonalMetric(int dimension)
    {
        _inverseMass = new float[dimension];
        _sqrtMass = new float[dimension];
        _inverseMass.AsSpan().Fill(1f);
        _sqrtMass.AsSpan().Fill(1f);
    }

    /// <summary>M⁻¹ (diagonal).</summary>
    public ReadOnlySpan<float> InverseMass => _inverseMass;

    /// <summary>Sets M⁻¹ = diag(<paramref name="variances"/>).</summary>
    public void SetInverseMass(ReadOnlySpan<double> variances)
    {
        for (var i = 0; i < _inverseMass.Length; i++)
        {
            _inverseMass[i] = (float)variances[i];
            _sqrtMass[i] = (float)(1.0 / Math.Sqrt(variances[i]));
        }
    }

    /// <summary>p ← √M·ξ with ξ ~ N(0, I).</summary>
    public void SampleMomentum(Span<float> momentum, ChainRandom random)
    {
        random.FillGaussian(momentum);
        TensorPrimitives.Multiply(momentum, _sqrtMass, momentum);
    }

    /// <summary>Partial refresh p ← φp + √(1−φ²)·√M·ξ; <paramref name="noise"/> is scratch of length D.</summary>
    public void RefreshMomentum(Span<float> momentum, double persistence, ChainRandom random, Span<float> noise)
    {
        SampleMomentum(noise, random);
        TensorPrimitives.Multiply(momentum, (float)persistence, momentum);
        TensorPrimitives.MultiplyAdd(noise, (float)Math.Sqrt(1 - persistence * persistence), momentum, momentum);
    }

    /// <summary>v = M⁻¹p.</summary>
    public void Velocity(ReadOnlySpan<float> momentum, Span<float> velocity) =>
        TensorPrimitives.Multiply(momentum, _inverseMass, velocity);

    /// <summary>½pᵀM⁻¹p in double; <paramref name="velocityScratch"/> receives M⁻¹p.</summary>
    public double KineticEnergy(ReadOnlySpan<float> momentum, Span<float> velocityScratch)
    {
        Velocity(momentum, velocityScratch);
        return 0.5 * VectorMath.Dot(momentum, velocityScratch);
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write("metric");
        CheckpointIO.WriteFloats(writer, _inverseMass);
        CheckpointIO.WriteFloats(writer, _sqrtMass); // saved, not recomputed: √M came from the double variances
    }

    public void Restore(BinaryReader reader)
    {
        CheckpointIO.ExpectTag(reader, "metric");
        CheckpointIO.ReadFloats(reader, _inverseMass, "the inverse metric");
        CheckpointIO.ReadFloats(reader, _sqrtMass, "the square-root mass");
    }
}
