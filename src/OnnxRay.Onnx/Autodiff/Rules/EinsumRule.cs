namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Einsum with one or two operands, explicit (<c>"bhqd,bhkd->bhqk"</c>) or implicit (<c>"ij,jk"</c>) output, no ellipsis and no
/// index repeated within one term (no traces/diagonals). The VJP of an operand A is again an Einsum: of Ȳ with the other
/// operand, onto A's indices. Indices of A that occur nowhere else (summed out of A alone) are restored by Unsqueeze + Expand.
/// Size-1 broadcasting between operands is not supported (exporters do not emit it).
/// </summary>
public sealed class EinsumRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Einsum"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => true;

    public string? CheckSupported(NodeView node)
    {
        var (_, _, error) = Parse(node.GetString("equation", ""), node.InputCount);
        return error;
    }

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0);
        if (dy is null) return;
        var (terms, output, error) = Parse(node.GetString("equation", ""), node.InputCount);
        if (error is not null) throw new InvalidOperationException($"{node}: {error}");
        for (var i = 0; i < terms!.Length; i++)
        {
            if (!ctx.NeedsInputGradient(i)) continue;
            var own = terms[i];
            var otherTerms = new List<string> { output! };
            var otherInputs = new List<string> { dy };
            for (var j = 0; j < terms.Length; j++)
                if (j != i) { otherTerms.Add(terms[j]); otherInputs.Add(node.Input(j)); }
            var available = string.Concat(otherTerms);
            var kept = string.Concat(own.Where(c => available.Contains(c)));
            var shape = ctx.Shape(node.Input(i));
            for (var p = 0; p < own.Length; p++)
                foreach (var (term, input) in otherTerms.Zip(otherInputs))
                {
                    var q = term.IndexOf(own[p]);
                    if (q >= 0 && ctx.Shape(input)[q] != shape[p])
                        throw new InvalidOperationException($"{node}: index '{own[p]}' has size {shape[p]} in operand {i} but {ctx.Shape(input)[q]} elsewhere; broadcasting Einsum has no gradient rule");
                }
            var grad = ctx.Op("Einsum", otherInputs, Attr.String("equation", $"{string.Join(",", otherTerms)}->{kept}"));
            if (kept.Length < own.Length)
            {
                var missing = Enumerable.Range(0, own.Length).Where(p => !available.Contains(own[p])).Select(p => (long)p).ToArray();
                grad = ctx.Op("Expand", [ctx.Op("Unsqueeze", [grad, ctx.ConstInt64(missing)]), ctx.ConstInt64(shape)]);
            }
            ctx.AddInputGradient(i, grad);
        }
    }

    /// <summary>Operand terms and output term, or the reason the equation has no rule.</summary>
    internal static (string[]? Terms, string? Output, string? Error) Parse(string equation, int operandCount)
    {
        var eq = new string(equation.Where(c => !char.IsWhiteSpace(c)).ToArray());
        if (eq.Length == 0) return (null, null, "Einsum without an equation");
        if (eq.Contains("...")) return (null, null, $"Einsum '{equation}': ellipsis ('...') has no gradient rule; export with explicit indices");
        var arrow = eq.IndexOf("->", StringComparison.Ordinal);
        var lhs = arrow >= 0 ? eq[..arrow] : eq;
        var terms = lhs.Split(',');
        if (terms.Length is < 1 or > 2) return (null, null, $"Einsum '{equation}': only one- and two-operand equations have a gradient rule ({terms.Length} operands)");
        if (terms.Length != operandCount) return (null, null, $"Einsum '{equation}' names {terms.Length} operands but the node has {operandCount} inputs");
        foreach (var t in terms)
        {
            if (t.Any(c => !char.IsAsciiLetter(c))) return (null, null, $"Einsum '{equation}': term '{t}' has characters other than letters");
            if (t.Distinct().Count() != t.Length)
                return (null, null, $"Einsum '{equation}': index repeated within operand '{t}' (trace/diagonal) has no gradient rule");
        }
        string output;
        if (arrow >= 0)
        {
            output = eq[(arrow + 2)..];
            if (output.Any(c => !char.IsAsciiLetter(c))) return (null, null, $"Einsum '{equation}': output '{output}' has characters other than letters");
            if (output.Distinct().Count() != output.Length) return (null, null, $"Einsum '{equation}': index repeated in the output");
            if (output.Any(c => !lhs.Contains(c))) return (null, null, $"Einsum '{equation}': output index not present in any operand");
        }
        else
        {
            // Implicit form: the indices that occur exactly once, in alphabetical order.
            output = string.Concat(lhs.Where(char.IsAsciiLetter).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key).Order());
        }
        return (terms, output, null);
    }
}
