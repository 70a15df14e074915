namespace OnnxRay.Onnx.Normalization;

/// <summary>Options of <see cref="ModelNormalizer.Normalize(IO.OnnxModel, NormalizationOptions?)"/>.</summary>
public sealed record NormalizationOptions
{
    public static NormalizationOptions Default { get; } = new();

    /// <summary>
    /// False (default): an <c>Identity</c> alias of a floating initializer (exporter de-duplication of shared weights,
    /// e.g. <c>onnx::MatMul_123 = Identity(wte.weight)</c>) becomes an initializer of its own, initialised from the
    /// aliased tensor, so it is a separate parameter in θ. True: the Identity is kept and both uses share one θ slice
    /// (gradients summed), like one initializer consumed by several nodes.
    /// </summary>
    public bool TieAliases { get; init; }
}
