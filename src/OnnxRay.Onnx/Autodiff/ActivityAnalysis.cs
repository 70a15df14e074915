namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// §5.1 activity: a value is active when it depends on θ through differentiable input slots (forward reachability)
/// and the log density depends on it (backward reachability). Only active nodes get VJPs. Ops without a rule are
/// treated as passing gradient through every input, so they show up on the path and can be reported.
/// Values with a non-floating element type never carry gradient.
/// </summary>
public sealed class ActivityAnalysis
{
    private readonly HashSet<string> _forward = new(StringComparer.Ordinal);
    private readonly HashSet<string> _backward = new(StringComparer.Ordinal);
    private readonly GradientRuleRegistry _registry;

    private ActivityAnalysis(GradientRuleRegistry registry) => _registry = registry;

    /// <summary>Runs both passes over <paramref name="nodes"/> (topologically sorted).</summary>
    /// <param name="elementType">Element type of a value when known (null: unknown, assumed floating).</param>
    public static ActivityAnalysis Compute(IReadOnlyList<NodeView> nodes, IEnumerable<string> sources, IEnumerable<string> sinks,
        GradientRuleRegistry registry, Func<string, int?> elementType)
    {
        var a = new ActivityAnalysis(registry);
        bool CanCarry(string v) => elementType(v) is not { } t || OnnxType.IsFloating(t);
        foreach (var s in sources) a._forward.Add(s);
        foreach (var node in nodes)
        {
            var reaches = false;
            for (var i = 0; i < node.InputCount && !reaches; i++)
                reaches = node.HasInput(i) && a._forward.Contains(node.Input(i)) && a.IsDifferentiableSlot(node, i);
            if (!reaches) continue;
            foreach (var output in node.Proto.Output)
                if (output.Length > 0 && CanCarry(output)) a._forward.Add(output);
        }
        foreach (var s in sinks) a._backward.Add(s);
        for (var k = nodes.Count - 1; k >= 0; k--)
        {
            var node = nodes[k];
            if (!node.Proto.Output.Any(a._backward.Contains)) continue;
            for (var i = 0; i < node.InputCount; i++)
                if (node.HasInput(i) && a.IsDifferentiableSlot(node, i) && CanCarry(node.Input(i))) a._backward.Add(node.Input(i));
        }
        return a;
    }

    /// <summary>True when gradient may flow through input slot <paramref name="inputIndex"/> (unknown ops: always).</summary>
    public bool IsDifferentiableSlot(NodeView node, int inputIndex)
    {
        if (!IsDefaultDomain(node.Proto.Domain)) return true;
        if (_registry.IsNonDifferentiable(node.OpType)) return false;
        return _registry.Find(node.OpType) is not { } rule || rule.IsDifferentiableInput(node, inputIndex);
    }

    public bool IsForwardActive(string value) => _forward.Contains(value);
    public bool IsBackwardRelevant(string value) => _backward.Contains(value);
    public bool IsActive(string value) => _forward.Contains(value) && _backward.Contains(value);

    /// <summary>True when the node lies on a θ → log density path (some active-forward input slot, some relevant output).</summary>
    public bool IsOnPath(NodeView node)
    {
        var fromTheta = false;
        for (var i = 0; i < node.InputCount && !fromTheta; i++)
            fromTheta = node.HasInput(i) && _forward.Contains(node.Input(i)) && IsDifferentiableSlot(node, i);
        return fromTheta && node.Proto.Output.Any(IsActive);
    }

    public static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";
}
