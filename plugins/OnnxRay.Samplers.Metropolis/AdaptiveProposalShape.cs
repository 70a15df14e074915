using OnnxRay.Abstractions;
namespace OnnxRay.Samplers.Metropolis;

/// <summary>
/// Haario-style adaptive diagonal proposal shape, restricted to warm-up (then frozen, the "simplest safe option" of
/// samplers.md §3.5): s_i = √(σ̂_i² + ε) from a Welford estimate of the warm-up draws. The first 10% of warm-up is a
/// buffer for reaching the typical set; the estimator restarts once at half-way so the transient is dropped; the shape
/// is refreshed every <see cref="UpdateInterval"/> draws once the estimator holds <see cref="MinimumSamples"/>.
/// </summary>
internal sealed class AdaptiveProposalShape(int dimension, int warmupSteps, double regularization)
{
    /// <summary>Draws between shape refreshes (a refresh is O(d), like one proposal).</summary>
    public const int UpdateInterval = 25;

    /// <summary>Draws needed before an estimate is trusted (random-walk draws are strongly autocorrelated).</summary>
    public const int MinimumSamples = 100;

    private readonly RunningVariance _variance = new(dimension);

    public int WarmupSteps { get; } = warmupSteps;
    public int CollectFrom { get; } = warmupSteps / 10;
    public int RestartAt { get; } = warmupSteps / 2;

    /// <summary>Warm-up draws observed so far.</summary>
    public int Counter { get; private set; }

    /// <summary>True once a shape has been produced (the caller resets σ to its initial value then).</summary>
    public bool HasUpdated { get; private set; }

    /// <summary>Observes one warm-up draw; returns true when <paramref name="shape"/> was refreshed.</summary>
    public bool Observe(ReadOnlySpan<float> draw, Span<float> shape)
    {
        var step = Counter++;
        if (step == RestartAt && RestartAt > CollectFrom) _variance.Restart();
        if (step < CollectFrom) return false;
        _variance.Add(draw);
        if (_variance.Count < MinimumSamples || _variance.Count % UpdateInterval != 0) return false;
        for (var i = 0; i < shape.Length; i++) shape[i] = (float)Math.Sqrt(_variance.Variance(i) + regularization);
        HasUpdated = true;
        return true;
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(Counter);
        writer.Write(HasUpdated);
        _variance.Save(writer);
    }

    public void Restore(BinaryReader reader)
    {
        Counter = reader.ReadInt32();
        HasUpdated = reader.ReadBoolean();
        _variance.Restore(reader);
    }
}
