namespace OnnxRay.Samplers.Metropolis;

/// <summary>
/// Robbins–Monro adaptation of the proposal scale (Andrieu &amp; Thoms 2008):
/// log σ_{t+1} = log σ_t + γ_t·(α_t − α*), γ_t = (t+1)^−κ. The diminishing gain makes the scale settle.
/// </summary>
internal sealed class RobbinsMonroScaleAdaptation(double targetAccept, double decay)
{
    public double TargetAccept { get; } = targetAccept;
    public double Decay { get; } = decay;

    /// <summary>Updates made so far (t).</summary>
    public long Counter { get; private set; }

    /// <summary>One update from the acceptance probability α_t of the last proposal; returns the new log σ.</summary>
    public double Update(double logScale, double acceptProbability)
    {
        var gain = Math.Pow(Counter + 1, -Decay);
        Counter++;
        var alpha = double.IsNaN(acceptProbability) ? 0 : Math.Min(1, acceptProbability);
        return logScale + gain * (alpha - TargetAccept);
    }

    public void Restart() => Counter = 0;

    public void Save(BinaryWriter writer) => writer.Write(Counter);

    public void Restore(BinaryReader reader) => Counter = reader.ReadInt64();
}
