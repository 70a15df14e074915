using System.Reflection;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>All gradient rules of this assembly, found by reflection, keyed by op type.</summary>
public sealed class GradientRuleRegistry
{
    private readonly Dictionary<string, IGradientRule> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nonDifferentiable = new(StringComparer.Ordinal);

    public static GradientRuleRegistry Default { get; } = FromAssembly(typeof(GradientRuleRegistry).Assembly);

    public static GradientRuleRegistry FromAssembly(Assembly assembly)
    {
        var registry = new GradientRuleRegistry();
        foreach (var type in assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) is not null))
        {
            if (typeof(IGradientRule).IsAssignableFrom(type))
            {
                var rule = (IGradientRule)Activator.CreateInstance(type)!;
                foreach (var op in rule.OpTypes)
                    if (!registry._rules.TryAdd(op, rule))
                        throw new InvalidOperationException($"Two gradient rules claim op '{op}': {registry._rules[op].GetType().Name} and {type.Name}.");
            }
            if (typeof(INonDifferentiableOps).IsAssignableFrom(type))
                foreach (var op in ((INonDifferentiableOps)Activator.CreateInstance(type)!).OpTypes)
                    registry._nonDifferentiable.Add(op);
        }
        return registry;
    }

    /// <summary>The rule for <paramref name="opType"/>, or null.</summary>
    public IGradientRule? Find(string opType) => _rules.GetValueOrDefault(opType);

    /// <summary>True for ops that never carry gradient (Shape, comparisons, …).</summary>
    public bool IsNonDifferentiable(string opType) => _nonDifferentiable.Contains(opType);

    /// <summary>Every op with a gradient rule.</summary>
    public IReadOnlyCollection<string> DifferentiableOps => _rules.Keys;

    /// <summary>Every op OnnxRay accepts: with a rule, or without gradient.</summary>
    public IReadOnlyCollection<string> SupportedOps => _rules.Keys.Concat(_nonDifferentiable).Distinct().ToArray();
}
