using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Emits the log prior over the model's parameter tensors (normalised gaussian per element) and its gradient −θ/σ²,
/// both on the flat θ input as a whole (no reverse pass, a handful of nodes whatever the number of tensors: per-node
/// overhead dominates small models). σ is one scalar when every element shares it, else a constant precision vector
/// over θ. Both are multiplied by the prior_weight input. Extra parameters (log_sigma) get a flat prior (precision 0).
/// </summary>
internal static class PriorTerm
{
    /// <param name="LogPrior">Scalar log prior (times prior_weight), or null without a prior.</param>
    /// <param name="FlatGradient">Its gradient with respect to the whole flat θ [D], or null without a prior or when not asked for.</param>
    internal sealed record Result(string? LogPrior, string? FlatGradient);

    public static Result Emit(GraphEmitter e, ParameterLayout layout, PriorSpec prior, string theta, string weight, bool withGradient)
    {
        if (prior.Kind == PriorKind.None) return new Result(null, null);
        var constant = 0.0;
        var precision = new float[layout.Dimension];
        var uniform = true;
        double? shared = null;
        foreach (var t in layout.Tensors)
        {
            if (!t.IsInitializer)
            {
                uniform = false;
                continue;
            }
            var sigma = prior.SigmaFor(t);
            var p = 1 / (sigma * sigma);
            constant += t.Length * (-Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI));
            precision.AsSpan(t.Offset, t.Length).Fill((float)p);
            if (shared is null) shared = p;
            else if (shared.Value != p) uniform = false;
        }
        if (shared is null) return new Result(null, null);

        string negHalfSumSquares;
        string? gradient;
        if (uniform)
        {
            // −½ p Σθ² and −p·w·θ.
            negHalfSumSquares = e.Op("Mul", [e.Op("ReduceSumSquare", [theta], Attr.Int("keepdims", 0)), e.ConstScalar(-0.5 * shared.Value)]);
            gradient = withGradient ? e.Op("Mul", [theta, e.Op("Mul", [weight, e.ConstScalar(-shared.Value)])]) : null;
        }
        else
        {
            // q = −p⊙θ; −½ Σ pθ² = ½ Σ q⊙θ; gradient w·q.
            for (var i = 0; i < precision.Length; i++) precision[i] = -precision[i];
            var negPrecision = e.Const(TensorData.FromFloats("prior_negative_precision", [precision.Length], precision));
            var q = e.Op("Mul", [theta, negPrecision]);
            negHalfSumSquares = e.Op("Mul", [e.Op("ReduceSum", [e.Op("Mul", [q, theta])], Attr.Int("keepdims", 0)), e.ConstScalar(0.5)]);
            gradient = withGradient ? e.Op("Mul", [q, weight]) : null;
        }
        var logPrior = e.Op("Mul", [e.Op("Add", [negHalfSumSquares, e.ConstScalar(constant)]), weight]);
        return new Result(logPrior, gradient);
    }
}
