namespace OnnxRay.Samplers.Hmc.Adaptation;

/// <summary>
/// Nesterov dual averaging of log ε (Hoffman &amp; Gelman 2014 §3.2; Stan stepsize_adaptation.hpp) driving the
/// mean acceptance statistic to δ. Constants γ = 0.05, t₀ = 10, κ = 0.75; μ = log(10·ε₀).
/// </summary>
internal sealed class DualAveragingStepSize(double targetAccept)
{
    public const double Gamma = 0.05;
    public const double T0 = 10;
    public const double Kappa = 0.75;

    public double TargetAccept { get; } = targetAccept;

    /// <summary>Shrinkage point μ of the iterates.</summary>
    public double Mu { get; private set; }

    /// <summary>Adaptation iterations since the last restart (t).</summary>
    public long Counter { get; private set; }

    /// <summary>Running average H̄ of δ − α.</summary>
    public double MeanAcceptDeficit { get; private set; }

    /// <summary>Weighted average log ε̄ of the iterates: the step size used after warm-up.</summary>
    public double LogAverageStepSize { get; private set; }

    /// <summary>Sets μ = log(10ε) and resets t, H̄ and log ε̄ (at the start and after every metric update).</summary>
    public void Restart(double stepSize)
    {
        Mu = Math.Log(10 * stepSize);
        Counter = 0;
        MeanAcceptDeficit = 0;
        LogAverageStepSize = 0;
    }

    /// <summary>One update from an acceptance statistic; returns the step size for the next iteration.</summary>
    public double Learn(double acceptStatistic)
    {
        Counter++;
        var alpha = double.IsNaN(acceptStatistic) ? 0 : Math.Min(1, acceptStatistic);
        var eta = 1.0 / (Counter + T0);
        MeanAcceptDeficit = (1 - eta) * MeanAcceptDeficit + eta * (TargetAccept - alpha);
        var logStepSize = Mu - MeanAcceptDeficit * Math.Sqrt(Counter) / Gamma;
        var weight = Math.Pow(Counter, -Kappa);
        LogAverageStepSize = weight * logStepSize + (1 - weight) * LogAverageStepSize;
        return Math.Exp(logStepSize);
    }

    /// <summary>exp(log ε̄), the step size to freeze at the end of warm-up.</summary>
    public double AverageStepSize => Math.Exp(LogAverageStepSize);

    public void Save(BinaryWriter writer)
    {
        writer.Write("dual-averaging");
        writer.Write(Mu);
        writer.Write(Counter);
        writer.Write(MeanAcceptDeficit);
        writer.Write(LogAverageStepSize);
    }

    public void Restore(BinaryReader reader)
    {
        CheckpointIO.ExpectTag(reader, "dual-averaging");
        Mu = reader.ReadDouble();
        Counter = reader.ReadInt64();
        MeanAcceptDeficit = reader.ReadDouble();
        LogAverageStepSize = reader.ReadDouble();
    }
}
