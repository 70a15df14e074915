using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Emits the log prior over the model's parameter tensors (normalised gaussian per element) on the flat θ slices, and
/// its gradient −θ/σ² per slice directly (no reverse pass needed). Both are multiplied by the prior_weight input.
/// Extra parameters (log_sigma) get a flat prior.
/// </summary>
internal static class PriorTerm
{
    internal sealed record Result(string? LogPrior, IReadOnlyDictionary<string, string> Gradients);

    public static Result Emit(GraphEmitter e, ParameterLayout layout, PriorSpec prior, IReadOnlyDictionary<string, string> flatParts, string weight)
    {
        var gradients = new Dictionary<string, string>(StringComparer.Ordinal);
        if (prior.Kind == PriorKind.None) return new Result(null, gradients);
        var terms = new List<string>();
        var constant = 0.0;
        foreach (var t in layout.Tensors.Where(t => t.IsInitializer))
        {
            var sigma = prior.SigmaFor(t);
            var part = flatParts[t.Name];
            var sumSquares = e.Op("ReduceSumSquare", [part], Attr.Int("keepdims", 0));
            terms.Add(e.Op("Mul", [sumSquares, e.ConstScalar(-0.5 / (sigma * sigma))]));
            constant += t.Length * (-Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI));
            gradients[t.Name] = e.Op("Mul", [part, e.Op("Mul", [weight, e.ConstScalar(-1 / (sigma * sigma))])]);
        }
        var sum = terms.Count == 1 ? terms[0] : e.Op("Sum", terms);
        var logPrior = e.Op("Mul", [e.Op("Add", [sum, e.ConstScalar(constant)]), weight]);
        return new Result(logPrior, gradients);
    }
}
