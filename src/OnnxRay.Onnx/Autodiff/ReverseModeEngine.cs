using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// The reverse pass (§5): walks the forward nodes in reverse topological order, calls each active node's rule with
/// the gradients of its outputs, and accumulates contributions per value with one variadic Sum. Emitted nodes go
/// to the end of the graph, after the forward nodes, so activations stay alive within one Run.
/// </summary>
public sealed class ReverseModeEngine
{
    private readonly Dictionary<string, List<string>> _contributions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _finalGradients = new(StringComparer.Ordinal);
    private readonly Action? _reprobe;

    /// <param name="emitter">Graph under construction; holds the shapes of all forward values (from the probe run).</param>
    /// <param name="forwardNodes">The forward nodes, topologically sorted (they may gain optional outputs).</param>
    /// <param name="activity">Which values carry gradient.</param>
    /// <param name="reprobe">Refreshes shapes after a rule adds an optional forward output (MaxPool Indices, …).</param>
    public ReverseModeEngine(GraphEmitter emitter, IReadOnlyList<NodeView> forwardNodes, ActivityAnalysis activity,
        GradientRuleRegistry registry, Action? reprobe = null)
    {
        Emitter = emitter;
        ForwardNodes = forwardNodes;
        Activity = activity;
        Registry = registry;
        _reprobe = reprobe;
    }

    public GraphEmitter Emitter { get; }
    public IReadOnlyList<NodeView> ForwardNodes { get; }
    public ActivityAnalysis Activity { get; }
    public GradientRuleRegistry Registry { get; }

    /// <summary>See <see cref="GradientContext.NchwcBlockSize"/>: set only for graphs that run on ORT's CPU provider.</summary>
    public int? NchwcBlockSize { get; init; }

    /// <summary>See <see cref="GradientContext.HoistLimitBytes"/>: set only when the graph's runner hoists data-only values.</summary>
    public long? HoistLimitBytes { get; init; }

    /// <summary>See <see cref="GradientContext.IsDataOnly"/> (null: nothing is known to be data-only).</summary>
    public Func<string, bool>? IsDataOnly { get; init; }

    /// <summary>Adds a gradient contribution to <paramref name="value"/> (a seed, or a term computed outside the walk, e.g. the prior).</summary>
    public void AddContribution(string value, string gradient)
    {
        if (_finalGradients.ContainsKey(value))
            throw new InvalidOperationException($"Gradient of '{value}' was already finalised before a contribution arrived (graph not topologically sorted?).");
        if (!_contributions.TryGetValue(value, out var list)) _contributions[value] = list = [];
        list.Add(gradient);
    }

    /// <summary>The accumulated gradient of a value (one Sum over its contributions), or null when none flowed.</summary>
    public string? GradientOf(string value)
    {
        if (_finalGradients.TryGetValue(value, out var done)) return done;
        if (!_contributions.TryGetValue(value, out var list) || list.Count == 0) return null;
        var result = list.Count == 1 ? list[0] : Emitter.Op("Sum", list);
        // By contract a gradient has its value's shape; recording it lets later unreduces and shape checks use it.
        if (!Emitter.Types.Contains(result) && Emitter.Types.TryGet(value, out var t)) Emitter.Types.Set(result, t.Shape, t.ElementType);
        _finalGradients[value] = result;
        return result;
    }

    /// <summary>Runs the reverse walk over every active node.</summary>
    public void Run()
    {
        for (var k = ForwardNodes.Count - 1; k >= 0; k--)
        {
            var node = ForwardNodes[k];
            if (!ActivityAnalysis.IsDefaultDomain(node.Proto.Domain) || Registry.IsNonDifferentiable(node.OpType)) continue;
            if (!node.Proto.Output.Any(o => o.Length > 0 && _contributions.ContainsKey(o))) continue;
            if (!Activity.IsOnPath(node)) continue;
            var rule = Registry.Find(node.OpType)
                       ?? throw new InvalidOperationException($"No gradient rule for {node} (the support check should have caught it).");
            rule.Emit(new EngineGradientContext(this, node));
        }
    }

    /// <summary>Re-runs the shape probe (after a rule added an optional forward output); no-op when not configured.</summary>
    internal void Reprobe()
    {
        if (_reprobe is null) throw new InvalidOperationException("A rule asked for the shape of a new forward output, but no shape probe is available.");
        _reprobe();
    }
}
