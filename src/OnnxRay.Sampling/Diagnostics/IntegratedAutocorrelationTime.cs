namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Integrated autocorrelation time with Sokal's adaptive window (samplers.md §5.3; emcee's
/// <c>autocorr.integrated_time</c>): average the normalised ACFs of the walkers, form τ(M) = 1 + 2·Σ_{t=1}^{M} ρ̂(t),
/// and take the smallest M with M ≥ c·τ(M).
/// </summary>
public static class IntegratedAutocorrelationTime
{
    /// <summary>Default window constant c.</summary>
    public const double DefaultWindowConstant = 5.0;

    /// <summary>τ̂ of one series.</summary>
    public static AutocorrelationTime Estimate(ReadOnlySpan<double> series, double windowConstant = DefaultWindowConstant) =>
        Estimate([series.ToArray()], windowConstant);

    /// <summary>τ̂ of W walkers (chains) of the same length, shaped [walkers][draws].</summary>
    public static AutocorrelationTime Estimate(IReadOnlyList<double[]> walkers, double windowConstant = DefaultWindowConstant)
    {
        var (w, n) = DrawMatrix.Shape(walkers, nameof(walkers));
        if (n == 0) return new AutocorrelationTime(double.NaN, 0, 0, false);
        var acf = AverageAutocorrelation(walkers);
        if (acf.Any(double.IsNaN)) return new AutocorrelationTime(double.NaN, 0, n, false);

        var tau = 1.0;
        for (var m = 1; m < n; m++)
        {
            tau += 2.0 * acf[m];
            if (m >= windowConstant * tau) return new AutocorrelationTime(tau, m, n, true);
        }
        return new AutocorrelationTime(tau, n - 1, n, false);
    }

    /// <summary>Mean over walkers of each walker's normalised autocorrelation ρ̂(t), t = 0..N−1.</summary>
    public static double[] AverageAutocorrelation(IReadOnlyList<double[]> walkers)
    {
        var (w, n) = DrawMatrix.Shape(walkers, nameof(walkers));
        var mean = new double[n];
        foreach (var walker in walkers)
        {
            var rho = Autocovariance.Autocorrelation(walker);
            for (var t = 0; t < n; t++) mean[t] += rho[t] / w;
        }
        return mean;
    }
}
