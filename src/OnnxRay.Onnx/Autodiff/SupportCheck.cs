using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>Finds every node on a differentiable path that OnnxRay cannot differentiate, before any work starts.</summary>
public static class SupportCheck
{
    /// <summary>The offending nodes (empty when the graph is fully supported).</summary>
    public static IReadOnlyList<UnsupportedNode> FindUnsupported(IReadOnlyList<NodeView> nodes, ActivityAnalysis activity, GradientRuleRegistry registry)
    {
        var result = new List<UnsupportedNode>();
        foreach (var node in nodes)
        {
            if (!activity.IsOnPath(node)) continue;
            var domain = node.Proto.Domain;
            string? reason;
            if (!ActivityAnalysis.IsDefaultDomain(domain))
                reason = $"custom domain '{domain}' is not supported; export the model with standard ONNX ops only (no ORT-optimised or contrib ops)";
            else if (registry.IsNonDifferentiable(node.OpType))
                reason = null;
            else if (registry.Find(node.OpType) is not { } rule)
                reason = "no gradient rule for this op";
            else
                reason = rule.CheckSupported(node);
            if (reason is not null)
                result.Add(new UnsupportedNode(node.OpType, domain, node.Name.Length > 0 ? node.Name : $"#{nodes.ToList().IndexOf(node)} -> {node.Output(0)}", node.Opset, reason));
        }
        return result;
    }

    /// <summary>Throws <see cref="UnsupportedOperatorException"/> listing every offending node, if any.</summary>
    public static void ThrowIfUnsupported(string modelPath, IReadOnlyList<NodeView> nodes, ActivityAnalysis activity, GradientRuleRegistry registry)
    {
        var bad = FindUnsupported(nodes, activity, registry);
        if (bad.Count > 0) throw new UnsupportedOperatorException(modelPath, bad, registry.SupportedOps);
    }
}
