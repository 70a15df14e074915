using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Position, velocity and the gradient cache of one chain, split into independent rays (one per parameter group or
/// one for all of θ). All buffers are allocated once; kicks and drifts never allocate. Kicks and drifts are applied
/// lazily and fused (<see cref="Flush"/>): read or write <see cref="Position"/> and <see cref="Velocity"/> only
/// right after a flush.
/// </summary>
internal sealed class PhaseSpace
{
    private readonly ILogDensity _density;
    private readonly int[] _raysByOffset;

    // Per ray: the coefficients of the kick being applied, and |v|², |g|², v·g when a refresh pass computed them
    // for the current v and g (valid until v or g changes), so the next kick skips its reduction pass.
    private readonly bool[] _kickMoves;
    private readonly float[] _kickVelocityScale, _kickGradientScale;
    private readonly (double VelocitySquared, double GradientSquared, double Dot)[] _reductions;
    private bool _reductionsValid;
    private double _pendingDrift1, _pendingDrift2;

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
        _raysByOffset = Enumerable.Range(0, rays.Count).OrderBy(r => rays[r].Offset).ToArray();
        _kickMoves = new bool[rays.Count];
        _kickVelocityScale = new float[rays.Count];
        _kickGradientScale = new float[rays.Count];
        _reductions = new (double, double, double)[rays.Count];
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
        if (PendingDriftTime != 0) Flush();
        if (GradientValid) return LogDensity;
        LogDensity = _density.Evaluate(Position, Gradient);
        GradientEvaluations++;
        GradientValid = true;
        _reductionsValid = false;
        return LogDensity;
    }

    /// <summary>
    /// Kick every ray with time step <paramref name="h"/> at the current position. Kicks at the same position compose
    /// additively, K(a)∘K(b) = K(a+b) (§1.2), so the time is only accumulated here and applied as one kick by
    /// <see cref="Flush"/>, in the same pass as the drift that follows it: a run of KDK steps then costs, per
    /// gradient, one read-only pass for the kick's reductions and one pass that updates v and x.
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

    /// <summary>Total drift time requested after the pending kick but not yet applied to x.</summary>
    public double PendingDriftTime => _pendingDrift1 + _pendingDrift2;

    /// <summary>x ← x + h·v after any pending kick; applied lazily by <see cref="Flush"/>, which invalidates the gradient.</summary>
    public void Drift(double h)
    {
        if (h == 0) return;
        if (_pendingDrift2 != 0) Flush();
        // Two drifts in a row (DKD steps back to back) stay two float updates of x, as unfused code would do them,
        // but share one pass.
        if (_pendingDrift1 == 0) _pendingDrift1 = h;
        else _pendingDrift2 = h;
    }

    /// <summary>Applies the pending kick to every ray (adding its ΔlnLum) and then the pending drifts, in one pass per ray.</summary>
    public void Flush()
    {
        var kick = PendingKickTime;
        double drift1 = _pendingDrift1, drift2 = _pendingDrift2;
        if (kick == 0 && drift1 == 0)
        {
            _reductionsValid = false; // a caller may now write v itself
            return;
        }
        PendingKickTime = 0;
        _pendingDrift1 = _pendingDrift2 = 0;
        if (kick != 0) PrepareKick(kick);
        for (var r = 0; r < Rays.Count; r++)
        {
            var ray = Rays[r];
            var v = Velocity.AsSpan(ray.Offset, ray.Length);
            var x = Position.AsSpan(ray.Offset, ray.Length);
            if (kick != 0 && _kickMoves[r])
            {
                var g = Gradient.AsSpan(ray.Offset, ray.Length);
                if (drift1 != 0) RayVectorOps.ScaleAndAddThenDrift(v, _kickVelocityScale[r], g, _kickGradientScale[r], x, (float)drift1, (float)drift2);
                else RayVectorOps.ScaleAndAdd(v, _kickVelocityScale[r], g, _kickGradientScale[r]);
            }
            else if (drift1 != 0)
            {
                PositionDrift.Apply(x, v, drift1);
                if (drift2 != 0) PositionDrift.Apply(x, v, drift2);
            }
        }
        if (drift1 != 0) GradientValid = false;
    }

    /// <summary>
    /// Velocity scattering (§1.5) over time <paramref name="h"/> at rate <paramref name="rate"/>, after any pending
    /// kick: the kick, the scatter and the reductions the next kick at this position needs share one pass per ray.
    /// With rate 0 it only flushes.
    /// </summary>
    public void Scatter(double rate, double h, ChainRandom random)
    {
        if (rate <= 0 || h == 0)
        {
            Flush();
            return;
        }
        if (_pendingDrift1 != 0) Flush();
        var (keep, noise) = PartialRefresh.Coefficients(rate, h);
        RefreshVelocity(keep, noise, random);
    }

    /// <summary>Full velocity redraw v ~ N(0, I), fused with the reductions the next kick needs.</summary>
    public void Redraw(ChainRandom random)
    {
        Flush();
        RefreshVelocity(0, 1, random);
    }

    /// <summary>v ← keep·K(v) + noise·ξ ray by ray in index order (so ξ is drawn in the order of θ).</summary>
    private void RefreshVelocity(double keep, double noise, ChainRandom random)
    {
        var kick = PendingKickTime;
        PendingKickTime = 0;
        if (kick != 0) PrepareKick(kick);
        foreach (var r in _raysByOffset)
        {
            var ray = Rays[r];
            var kicks = kick != 0 && _kickMoves[r];
            var reduce = GradientValid && ray.Length >= 2;
            _reductions[r] = RayVectorOps.KickScatterReduce(Velocity.AsSpan(ray.Offset, ray.Length), Gradient.AsSpan(ray.Offset, ray.Length),
                kicks, _kickVelocityScale[r], _kickGradientScale[r], keep, noise, random, reduce);
        }
        _reductionsValid = GradientValid;
    }

    /// <summary>
    /// Computes every ray's kick coefficients for time <paramref name="h"/> (from the cached reductions when a refresh
    /// just produced them), adds ΔlnLum, and applies the fallback kick of rays too short for the ray kick.
    /// </summary>
    private void PrepareKick(double h)
    {
        KicksApplied++;
        for (var r = 0; r < Rays.Count; r++)
        {
            var ray = Rays[r];
            var v = Velocity.AsSpan(ray.Offset, ray.Length);
            var g = Gradient.AsSpan(ray.Offset, ray.Length);
            _kickMoves[r] = false;
            if (ray.Length < 2)
            {
                LogLuminosity += VelocityKick.HamiltonianKick(v, g, h);
                continue;
            }
            var reductions = _reductionsValid ? _reductions[r] : RayVectorOps.KickReductions(v, g);
            var kick = VelocityKick.Coefficients(reductions, h, ray.Length);
            LogLuminosity += kick.DeltaLogLuminosity;
            _kickMoves[r] = !kick.LeavesVelocityUnchanged;
            _kickVelocityScale[r] = (float)kick.VelocityScale;
            _kickGradientScale[r] = (float)kick.GradientScale;
        }
        _reductionsValid = false;
    }

    /// <summary>Stores x, v, g and log p as the trajectory start.</summary>
    public void SaveStart()
    {
        Flush();
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
        _pendingDrift1 = _pendingDrift2 = 0;
        _reductionsValid = false;
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
        if (PendingKickTime != 0 || PendingDriftTime != 0)
            throw new InvalidOperationException("A checkpoint inside a trajectory would lose the pending kick or drift.");
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
        _reductionsValid = false;
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
