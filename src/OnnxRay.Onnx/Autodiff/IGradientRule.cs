namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// Reverse-mode (vector–Jacobian product) rule for one or more ops of the default ONNX domain, emitted as
/// standard ops. Implementations are stateless, public, have a parameterless constructor, and are discovered
/// by reflection (see <see cref="GradientRuleRegistry"/>): adding an op means adding one rule class.
/// </summary>
public interface IGradientRule
{
    /// <summary>Op types (default domain, opset-18 forms after normalisation) this rule differentiates.</summary>
    IReadOnlyCollection<string> OpTypes { get; }

    /// <summary>
    /// True when gradient can flow into input <paramref name="inputIndex"/> of <paramref name="node"/>
    /// (false for shapes, axes, indices, Clip bounds, BatchNorm running statistics, …).
    /// </summary>
    bool IsDifferentiableInput(NodeView node, int inputIndex);

    /// <summary>Null when this node's attribute form is supported; otherwise the reason (e.g. "Pad mode 'reflect' has no rule").</summary>
    string? CheckSupported(NodeView node) => null;

    /// <summary>Emits the VJP nodes for <see cref="GradientContext.Node"/> into the context.</summary>
    void Emit(GradientContext context);
}

/// <summary>Rule for ops that pass no gradient at all (shape and index computations).</summary>
public interface INonDifferentiableOps
{
    IReadOnlyCollection<string> OpTypes { get; }
}
