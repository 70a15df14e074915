using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Position, velocity and the gradient cache of one chain, split into independent rays (one per parameter group or
/// one for all of θ). All buffers are allocated once; kicks and drifts never allocate.
/// </summary>
internal sealed class PhaseSpace
{
    private readonly ILogDensity _density;

    public PhaseSpace(ILogDensity density, ReadOnlySpan<float> start, IReadOnlyList<ParameterGroup> rays)
    {
        _density = density;
        Dimension = density.Dimension;
        Rays = rays;
        Position = start.ToArray();
        Velocity = new float[Dimension];
        Gradient = new float[Dimension];
        SavedPosition = new float[Dimension];
        SavedVelocity = new float[Dimension];
        SavedGradient = new float[Dimension];
    }

    public int Dimension { get; }
    public IReadOnlyList<ParameterGroup> Rays { get; }

    public float[] Position { get; private set; }
    public float[] Velocity { get; private set; }
    public float[] Gradient { get; private set; }

    /// <summary>Whether <see cref="Gradient"/> and <see cref="LogDensity"/> belong to the current position.</summary>
    public bool GradientValid { get; set; }

    /// <summary>log p from the last evaluation at the current position (a minibatch estimate for stochastic densities).</summary>
    public double LogDensity { get; set; } = double.NaN;

    /// <summary>Trajectory start, kept to restore on rejection.</summary>
    public float[] SavedPosition { get; private set; }
    public float[] SavedVelocity { get; private set; }
    public float[] SavedGradient { get; private set; }
    public bool SavedGradientValid { get; private set; }
    public double SavedLogDensity { get; private set; }

    /// <summary>Gradient evaluations since the counter was last reset.</summary>
    public int GradientEvaluations { get; set; }

    /// <summary>Σ ΔlnLum of the kicks since the counter was last reset.</summary>
    public double LogLuminosity { get; set; }

    /// <summary>Evaluates the gradient at the current position unless it is cached. Returns log p.</summary>
    public double EnsureGradient()
    {
        if (GradientValid) return LogDensity;
        LogDensity = _density.Evaluate(Position, Gradient);
        GradientEvaluations++;
        GradientValid = true;
        return LogDensity;
    }

    /// <summary>
    /// Kick every ray with time step <paramref name="h"/> at the current position. Kicks at the same position compose
    /// additively, K(a)∘K(b) = K(a+b) (§1.2), so the time is only accumulated here and applied as one kick by
    /// <see cref="FlushKick"/> before the next drift or scatter: a run of KDK steps then costs one kick per step.
    /// </summary>
    public void Kick(double h)
    {
        EnsureGradient();
        PendingKickTime += h;
    }

    /// <summary>Number of (fused) kicks applied to v so far.</summary>
    public long KicksApplied { get; private set; }

    /// <summary>Kick time accumulated at the current position but not yet applied to v.</summary>
    public double PendingKickTime { get; private set; }

    /// <summary>Applies the accumulated kick to every ray and adds its ΔlnLum.</summary>
    public void FlushKick()
    {
        var h = PendingKickTime;
        if (h == 0) return;
        PendingKickTime = 0;
        KicksApplied++;
        for (var r = 0; r < Rays.Count; r++)
        {
            var ray = Rays[r];
            LogLuminosity += VelocityKick.Apply(
                Velocity.AsSpan(ray.Offset, ray.Length), Gradient.AsSpan(ray.Offset, ray.Length), h);
        }
    }

    /// <summary>x ← x + h·v; invalidates the gradient cache.</summary>
    public void Drift(double h)
    {
        FlushKick();
        PositionDrift.Apply(Position, Velocity, h);
        GradientValid = false;
    }

    /// <summary>Stores x, v, g and log p as the trajectory start.</summary>
    public void SaveStart()
    {
        FlushKick();
        Position.CopyTo(SavedPosition, 0);
        Velocity.CopyTo(SavedVelocity, 0);
        if (GradientValid) Gradient.CopyTo(SavedGradient, 0);
        SavedGradientValid = GradientValid;
        SavedLogDensity = LogDensity;
    }

    /// <summary>Returns to the trajectory start (swapping buffers, no copy); <paramref name="reverseVelocity"/> sets v ← −v₀.</summary>
    public void RestoreStart(bool reverseVelocity)
    {
        PendingKickTime = 0;
        (Position, SavedPosition) = (SavedPosition, Position);
        (Gradient, SavedGradient) = (SavedGradient, Gradient);
        GradientValid = SavedGradientValid;
        LogDensity = SavedLogDensity;
        if (reverseVelocity)
        {
            (Velocity, SavedVelocity) = (SavedVelocity, Velocity);
            System.Numerics.Tensors.TensorPrimitives.Negate(Velocity, Velocity);
        }
    }

    public void Save(BinaryWriter writer)
    {
        if (PendingKickTime != 0) throw new InvalidOperationException("A checkpoint inside a trajectory would lose the pending kick.");
        WriteFloats(writer, Position);
        WriteFloats(writer, Velocity);
        WriteFloats(writer, Gradient);
        writer.Write(GradientValid);
        writer.Write(LogDensity);
    }

    public void Restore(BinaryReader reader)
    {
        ReadFloats(reader, Position);
        ReadFloats(reader, Velocity);
        ReadFloats(reader, Gradient);
        GradientValid = reader.ReadBoolean();
        LogDensity = reader.ReadDouble();
    }

    internal static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    internal static void ReadFloats(BinaryReader reader, Span<float> destination)
    {
        var length = reader.ReadInt32();
        if (length != destination.Length)
            throw new InvalidDataException($"Checkpoint holds a vector of length {length}, the density has dimension {destination.Length}.");
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination);
        while (bytes.Length > 0)
        {
            var read = reader.Read(bytes);
            if (read == 0) throw new EndOfStreamException("Checkpoint ends inside a vector.");
            bytes = bytes[read..];
        }
    }
}
