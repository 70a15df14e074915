using System.Globalization;

namespace OnnxRay.Onnx.Density;

/// <summary>The kinds of likelihood head (§7).</summary>
public enum LikelihoodKind
{
    /// <summary>Logits [B,K] (or [B,T,V]) with int64 class targets; targets equal to the ignore index are skipped.</summary>
    Categorical,
    /// <summary>Gaussian with fixed noise σ; full normalised density.</summary>
    GaussianFixed,
    /// <summary>Gaussian with learned noise: an extra parameter log_sigma appended to θ.</summary>
    GaussianLearned,
    /// <summary>Logits with 0/1 targets.</summary>
    Bernoulli,
    /// <summary>The model already outputs a scalar log-likelihood (summed over the batch).</summary>
    Output,
    /// <summary>The model outputs a scalar loss (summed over the batch); log-likelihood = −loss.</summary>
    Loss,
}

/// <summary>
/// A parsed <c>--likelihood</c>: <c>categorical[:ignore=K]</c>, <c>gaussian:SIGMA</c>, <c>gaussian</c> (learned noise),
/// <c>bernoulli</c>, <c>output:NAME</c>, <c>loss:NAME</c>.
/// </summary>
public sealed record LikelihoodSpec(LikelihoodKind Kind, double Sigma = 0, long IgnoreIndex = -100, string? OutputName = null)
{
    public const string OptionName = "--likelihood";

    /// <summary>Name of the extra parameter of the learned-noise gaussian.</summary>
    public const string LogSigmaParameter = "log_sigma";

    /// <summary>True when the head reads the <c>target</c> input.</summary>
    public bool NeedsTarget => Kind is not (LikelihoodKind.Output or LikelihoodKind.Loss);

    public static LikelihoodSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new DensityOptionException(OptionName, "is empty; expected one of " + Expected);
        var colon = text.IndexOf(':');
        var kind = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        var argument = colon < 0 ? null : text[(colon + 1)..].Trim();
        switch (kind)
        {
            case "categorical":
                if (argument is null) return new LikelihoodSpec(LikelihoodKind.Categorical);
                var value = argument.StartsWith("ignore=", StringComparison.OrdinalIgnoreCase) ? argument[7..] : argument;
                if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ignore))
                    throw new DensityOptionException(OptionName, $"'{text}': the ignore index must be an integer (e.g. categorical:ignore=-100).");
                return new LikelihoodSpec(LikelihoodKind.Categorical, IgnoreIndex: ignore);
            case "gaussian":
                if (argument is null) return new LikelihoodSpec(LikelihoodKind.GaussianLearned);
                if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var sigma) || !(sigma > 0) || !double.IsFinite(sigma))
                    throw new DensityOptionException(OptionName, $"'{text}': SIGMA must be a positive number (e.g. gaussian:0.5).");
                return new LikelihoodSpec(LikelihoodKind.GaussianFixed, sigma);
            case "bernoulli" when argument is null:
                return new LikelihoodSpec(LikelihoodKind.Bernoulli);
            case "output" or "loss":
                if (string.IsNullOrEmpty(argument))
                    throw new DensityOptionException(OptionName, $"'{text}': name the model output (e.g. {kind}:NAME).");
                return new LikelihoodSpec(kind == "output" ? LikelihoodKind.Output : LikelihoodKind.Loss, OutputName: argument);
            default:
                throw new DensityOptionException(OptionName, $"unknown likelihood '{text}'; expected one of " + Expected);
        }
    }

    private const string Expected = "categorical[:ignore=K], gaussian:SIGMA, gaussian, bernoulli, output:NAME, loss:NAME.";

    public override string ToString() => Kind switch
    {
        LikelihoodKind.Categorical => IgnoreIndex == -100 ? "categorical" : $"categorical:ignore={IgnoreIndex}",
        LikelihoodKind.GaussianFixed => "gaussian:" + Sigma.ToString("R", CultureInfo.InvariantCulture),
        LikelihoodKind.GaussianLearned => "gaussian",
        LikelihoodKind.Bernoulli => "bernoulli",
        LikelihoodKind.Output => "output:" + OutputName,
        _ => "loss:" + OutputName,
    };
}
