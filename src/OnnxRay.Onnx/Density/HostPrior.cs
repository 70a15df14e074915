using System.Numerics.Tensors;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// The log prior over the model's parameter tensors (normalised gaussian per element), evaluated on the host after
/// each run rather than in the density graph: its log term w·Σ −θ²/(2σ²) and gradient −w·θ/σ² are one vectorised pass
/// per run of tensors sharing σ (<see cref="Segments"/>), while in the graph they cost ORT's per-node overhead
/// (~1 µs a node, most of a small model's gradient). Its normalising constant (times w) stays in the graph's
/// host-computed offset coefficient. Extra parameters such as log_sigma have a flat prior and lie in no segment.
/// </summary>
public sealed class HostPrior
{
    public static readonly HostPrior None = new([], 0);

    private HostPrior(IReadOnlyList<CoefficientSegment> segments, double constantPerWeight)
    {
        Segments = segments;
        ConstantPerWeight = constantPerWeight;
    }

    /// <summary>Runs of θ sharing one σ: PerPriorWeight = −1/σ² (PerLikelihoodScale = 0).</summary>
    public IReadOnlyList<CoefficientSegment> Segments { get; }

    /// <summary>Σ −log σ − ½ log 2π over the prior's elements (multiplied by w in the graph's offset).</summary>
    public double ConstantPerWeight { get; }

    public static HostPrior For(ParameterLayout layout, PriorSpec prior)
    {
        if (prior.Kind == PriorKind.None) return None;
        var constant = 0.0;
        var segments = new List<CoefficientSegment>();
        foreach (var t in layout.Tensors.Where(t => t.IsInitializer))
        {
            var sigma = prior.SigmaFor(t);
            var p = 1 / (sigma * sigma);
            constant += t.Length * (-Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI));
            if (segments.Count > 0 && segments[^1].PerPriorWeight == -p && segments[^1].Offset + segments[^1].Length == t.Offset)
                segments[^1] = segments[^1] with { Length = segments[^1].Length + t.Length };
            else
                segments.Add(new CoefficientSegment(t.Offset, t.Length, 0, -p));
        }
        return new HostPrior(segments, constant);
    }

    /// <summary>w·(log prior − its constant) = w·Σ −θ²/(2σ²); 0 when w = 0 (exact chunks after the first).</summary>
    public double LogTerm(ReadOnlySpan<float> theta, double priorWeight)
    {
        if (priorWeight == 0) return 0;
        var sum = 0.0;
        foreach (var s in Segments) sum += 0.5 * s.PerPriorWeight * TensorPrimitives.SumOfSquares(theta.Slice(s.Offset, s.Length));
        return priorWeight * sum;
    }

    /// <summary>Adds the gradient −w·θ/σ² to <paramref name="gradient"/> (nothing when w = 0).</summary>
    public void AddGradient(ReadOnlySpan<float> theta, Span<float> gradient, double priorWeight)
    {
        if (priorWeight == 0) return;
        foreach (var s in Segments)
        {
            var g = gradient.Slice(s.Offset, s.Length);
            TensorPrimitives.MultiplyAdd(theta.Slice(s.Offset, s.Length), s.ValueAt(0, priorWeight), g, g);
        }
    }
}
