namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Energy Bayesian fraction of missing information (samplers.md §2.1):
/// E-BFMI = Σ_{n≥2}(E_n − E_{n−1})² / Σ_n(E_n − Ē)², over one chain's post-warm-up energies.
/// </summary>
public static class EnergyBfmi
{
    /// <summary>Values below this suggest the momentum resampling explores the energy poorly.</summary>
    public const double WarningThreshold = 0.3;

    /// <summary>E-BFMI of one chain's energy series; NaN for fewer than two draws, constant or non-finite energies.</summary>
    public static double Compute(ReadOnlySpan<double> energy)
    {
        if (energy.Length < 2) return double.NaN;
        foreach (var e in energy) if (!double.IsFinite(e)) return double.NaN;
        var mean = SampleStatistics.Mean(energy);
        var numerator = 0.0;
        var denominator = 0.0;
        for (var i = 0; i < energy.Length; i++)
        {
            if (i > 0) numerator += (energy[i] - energy[i - 1]) * (energy[i] - energy[i - 1]);
            denominator += (energy[i] - mean) * (energy[i] - mean);
        }
        return denominator > 0 ? numerator / denominator : double.NaN;
    }

    /// <summary>True when E-BFMI is below <see cref="WarningThreshold"/>.</summary>
    public static bool IsLow(double bfmi) => bfmi < WarningThreshold;
}
