using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
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

    /// <summary>Gaussian draws are scaled by √M block by block while the block is still in cache.</summary>
    private const int NoiseBlock = 1024;

    /// <summary>p ← √M·ξ with ξ ~ N(0, I) (one <see cref="GaussianStream"/>: the blocks continue it, so ξ is one <c>FillGaussian</c>).</summary>
    public void SampleMomentum(Span<float> momentum, ChainRandom random)
    {
        var normals = random.StartGaussianStream();
        for (var start = 0; start < momentum.Length; start += NoiseBlock)
        {
            var block = momentum.Slice(start, Math.Min(NoiseBlock, momentum.Length - start));
            normals.Fill(block);
            TensorPrimitives.Multiply(block, _sqrtMass.AsSpan(start, block.Length), block);
        }
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

    /// <summary>
    /// ½pᵀM⁻¹p in one pass without writing M⁻¹p: the same float products and double sums as
    /// <see cref="KineticEnergy(ReadOnlySpan{float}, Span{float})"/>, so the same bits.
    /// </summary>
    public double KineticEnergy(ReadOnlySpan<float> momentum)
    {
        var i = 0;
        var acc0 = Vector<double>.Zero;
        var acc1 = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated && momentum.Length >= Vector<float>.Count)
        {
            var pb = MemoryMarshal.Cast<float, Vector<float>>(momentum);
            var mb = MemoryMarshal.Cast<float, Vector<float>>(_inverseMass.AsSpan());
            for (var k = 0; k < pb.Length; k++)
            {
                Vector.Widen(pb[k], out var plo, out var phi);
                Vector.Widen(pb[k] * mb[k], out var vlo, out var vhi);
                acc0 += plo * vlo;
                acc1 += phi * vhi;
            }
            i = pb.Length * Vector<float>.Count;
        }
        var sum = Vector.Sum(acc0 + acc1);
        for (; i < momentum.Length; i++) sum += (double)momentum[i] * (momentum[i] * _inverseMass[i]);
        return 0.5 * sum;
    }

    /// <summary>
    /// The leapfrog's fused pass: p' ← p + <paramref name="kick"/>·g, then x' ← x + <paramref name="drift"/>·M⁻¹p'
    /// (inputs and outputs may be the same spans). Same float operations as the unfused kick, velocity and drift.
    /// </summary>
    public void KickThenDrift(ReadOnlySpan<float> momentum, ReadOnlySpan<float> gradient, float kick, ReadOnlySpan<float> position,
        float drift, Span<float> momentumOut, Span<float> positionOut)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && momentum.Length >= Vector<float>.Count)
        {
            var pb = MemoryMarshal.Cast<float, Vector<float>>(momentum);
            var gb = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            var xb = MemoryMarshal.Cast<float, Vector<float>>(position);
            var mb = MemoryMarshal.Cast<float, Vector<float>>(_inverseMass.AsSpan());
            var po = MemoryMarshal.Cast<float, Vector<float>>(momentumOut);
            var xo = MemoryMarshal.Cast<float, Vector<float>>(positionOut);
            var vk = new Vector<float>(kick);
            var vd = new Vector<float>(drift);
            for (var k = 0; k < pb.Length; k++)
            {
                var p = gb[k] * vk + pb[k];
                po[k] = p;
                xo[k] = p * mb[k] * vd + xb[k];
            }
            i = pb.Length * Vector<float>.Count;
        }
        for (; i < momentum.Length; i++)
        {
            var p = gradient[i] * kick + momentum[i];
            momentumOut[i] = p;
            positionOut[i] = p * _inverseMass[i] * drift + position[i];
        }
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
