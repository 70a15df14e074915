namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// The posterior predictive of a regression model for a batch of outputs (samplers.md §6.2): the Gaussian mixture
/// Σ_s w_s N(μ_s, σ_s²) per output, summarised.
/// </summary>
public sealed class RegressionPrediction
{
    private readonly double[][]? _means;   // kept draws × outputs
    private readonly double[][]? _sds;
    private readonly double[]? _weights;

    internal RegressionPrediction(double[] mean, double[] aleatoric, double[] epistemic, double[]? logPredictiveDensity, int draws,
        double[][]? keptMeans, double[][]? keptSds, double[]? keptWeights, bool quantilesApproximate)
    {
        Mean = mean;
        AleatoricVariance = aleatoric;
        EpistemicVariance = epistemic;
        LogPredictiveDensity = logPredictiveDensity;
        Draws = draws;
        _means = keptMeans;
        _sds = keptSds;
        _weights = keptWeights;
        QuantilesAreApproximate = quantilesApproximate;
        TotalVariance = new double[mean.Length];
        TotalStd = new double[mean.Length];
        for (var i = 0; i < mean.Length; i++)
        {
            TotalVariance[i] = aleatoric[i] + epistemic[i];
            TotalStd[i] = Math.Sqrt(TotalVariance[i]);
        }
    }

    /// <summary>Number of outputs.</summary>
    public int Outputs => Mean.Length;

    /// <summary>Number of draws aggregated.</summary>
    public int Draws { get; }

    /// <summary>Predictive mean μ̄ = Σ w_s μ_s / Σw.</summary>
    public double[] Mean { get; }

    /// <summary>Aleatoric variance E[σ²].</summary>
    public double[] AleatoricVariance { get; }

    /// <summary>Epistemic variance Var[μ] (weighted, population form).</summary>
    public double[] EpistemicVariance { get; }

    /// <summary>Total variance E[σ²] + Var[μ].</summary>
    public double[] TotalVariance { get; }

    /// <summary>√(total variance).</summary>
    public double[] TotalStd { get; }

    /// <summary>ln p(y|x) under the mixture, when targets were given to the aggregator; otherwise null.</summary>
    public double[]? LogPredictiveDensity { get; }

    /// <summary>True when per-draw predictions were kept, so quantiles, PIT and lpd-after-the-fact are available.</summary>
    public bool HasDraws => _means is not null && _means.Length > 0;

    /// <summary>True when a reservoir dropped draws, so quantiles use a subsample of the mixture.</summary>
    public bool QuantilesAreApproximate { get; }

    /// <summary>The q-quantile of output <paramref name="output"/>'s predictive mixture.</summary>
    public double Quantile(int output, double q)
    {
        var (mu, sd, w) = Mixture(output);
        return GaussianMixture.Quantile(mu, sd, w, q);
    }

    /// <summary>The q-quantile of every output.</summary>
    public double[] Quantiles(double q)
    {
        var result = new double[Outputs];
        for (var i = 0; i < Outputs; i++) result[i] = Quantile(i, q);
        return result;
    }

    /// <summary>Predictive CDF F_i(y) of one output; at the observed y this is the PIT value.</summary>
    public double Cdf(int output, double y)
    {
        var (mu, sd, w) = Mixture(output);
        return GaussianMixture.Cdf(mu, sd, w, y);
    }

    /// <summary>ln p(y|x) of one output from the kept draws.</summary>
    public double LogDensity(int output, double y)
    {
        var (mu, sd, w) = Mixture(output);
        return GaussianMixture.LogDensity(mu, sd, w, y);
    }

    private (double[] Means, double[] Sds, double[] Weights) Mixture(int output)
    {
        if (!HasDraws) throw new InvalidOperationException("per-draw predictions were not kept (RegressionAggregatorOptions.KeepDrawsForQuantiles)");
        if ((uint)output >= (uint)Outputs) throw new ArgumentOutOfRangeException(nameof(output), output, $"must be in [0, {Outputs})");
        var s = _means!.Length;
        var mu = new double[s];
        var sd = new double[s];
        for (var k = 0; k < s; k++)
        {
            mu[k] = _means[k][output];
            sd[k] = _sds![k][output];
        }
        return (mu, sd, _weights!);
    }
}
