namespace OnnxRay.Onnx.Errors;

/// <summary>One node on a differentiable path whose op has no gradient rule (or an unsupported attribute form).</summary>
public sealed record UnsupportedNode(string OpType, string Domain, string NodeName, long Opset, string Reason);

/// <summary>
/// The graph uses ops OnnxRay cannot differentiate (or load); raised before any work starts.
/// Lists every offending node (op type, domain, node name, opset) and the supported op list.
/// </summary>
public sealed class UnsupportedOperatorException(string modelPath, IReadOnlyList<UnsupportedNode> nodes, IReadOnlyCollection<string> supportedOps)
    : OnnxRayException(Format(modelPath, nodes, supportedOps))
{
    public string ModelPath { get; } = modelPath;
    public IReadOnlyList<UnsupportedNode> Nodes { get; } = nodes;
    public IReadOnlyCollection<string> SupportedOps { get; } = supportedOps;

    private static string Format(string modelPath, IReadOnlyList<UnsupportedNode> nodes, IReadOnlyCollection<string> supported)
    {
        var list = string.Join("; ", nodes.Select(n =>
            $"{(string.IsNullOrEmpty(n.Domain) ? "" : n.Domain + ".")}{n.OpType} (node '{n.NodeName}', opset {n.Opset}): {n.Reason}"));
        return $"{modelPath}: {nodes.Count} node(s) cannot be differentiated: {list}. Supported ops: {string.Join(", ", supported.Order(StringComparer.Ordinal))}.";
    }
}
