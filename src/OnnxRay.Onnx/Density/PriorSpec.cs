using System.Globalization;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>The kinds of prior over the model's parameter tensors.</summary>
public enum PriorKind
{
    None,
    /// <summary>N(0, SCALE²) per element.</summary>
    Gaussian,
    /// <summary>N(0, SCALE²/fan_in) per element of each tensor.</summary>
    GaussianFanIn,
}

/// <summary>A parsed <c>--prior</c>: <c>none</c>, <c>gaussian:SCALE</c>, <c>gaussian-fanin:SCALE</c>. Normalising constants are kept.</summary>
public sealed record PriorSpec(PriorKind Kind, double Scale = 0)
{
    public const string OptionName = "--prior";

    public static PriorSpec None { get; } = new(PriorKind.None);

    public static PriorSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new DensityOptionException(OptionName, "is empty; expected none, gaussian:SCALE or gaussian-fanin:SCALE.");
        var colon = text.IndexOf(':');
        var kind = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        if (kind == "none" && colon < 0) return None;
        if (kind is not ("gaussian" or "gaussian-fanin"))
            throw new DensityOptionException(OptionName, $"unknown prior '{text}'; expected none, gaussian:SCALE or gaussian-fanin:SCALE.");
        if (colon < 0 || !double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var scale) || !(scale > 0) || !double.IsFinite(scale))
            throw new DensityOptionException(OptionName, $"'{text}': SCALE must be a positive number (e.g. {kind}:1.0).");
        return new PriorSpec(kind == "gaussian" ? PriorKind.Gaussian : PriorKind.GaussianFanIn, scale);
    }

    /// <summary>Standard deviation of the prior on the elements of <paramref name="tensor"/>.</summary>
    public double SigmaFor(ParameterTensor tensor) => Kind switch
    {
        PriorKind.Gaussian => Scale,
        PriorKind.GaussianFanIn => Scale / Math.Sqrt(tensor.FanIn),
        _ => double.PositiveInfinity,
    };

    /// <summary>Log prior density of θ in double precision (a reference for tests and diagnostics).</summary>
    public double LogDensity(ParameterLayout layout, ReadOnlySpan<float> theta)
    {
        if (Kind == PriorKind.None) return 0;
        var total = 0.0;
        foreach (var t in layout.Tensors)
        {
            if (!t.IsInitializer) continue;
            var s = SigmaFor(t);
            var sumSquares = 0.0;
            foreach (var v in theta.Slice(t.Offset, t.Length)) sumSquares += (double)v * v;
            total += -0.5 * sumSquares / (s * s) - t.Length * (Math.Log(s) + 0.5 * Math.Log(2 * Math.PI));
        }
        return total;
    }

    public override string ToString() => Kind switch
    {
        PriorKind.None => "none",
        PriorKind.Gaussian => "gaussian:" + Scale.ToString("R", CultureInfo.InvariantCulture),
        _ => "gaussian-fanin:" + Scale.ToString("R", CultureInfo.InvariantCulture),
    };
}
