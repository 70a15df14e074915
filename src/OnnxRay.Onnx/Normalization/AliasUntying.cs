using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Unties Identity aliases of floating initializers: <c>A = Identity(W)</c> with W an initializer (or, through chains,
/// another alias) becomes an initializer A holding W's values (the TensorProto is copied, so external-data references
/// still point at the same bytes), and the Identity node is removed. An alias that is also a graph output keeps its node,
/// and so does the only alias of an initializer nobody else reads (untying it would merely rename the one parameter).
/// Each untied initializer records its origin under <see cref="AliasOfKey"/>.
/// </summary>
public static class AliasUntying
{
    /// <summary>Metadata key on an untied initializer: the name of the initializer it was an Identity alias of.</summary>
    public const string AliasOfKey = "onnxray.alias_of";

    /// <summary>One Identity alias: <paramref name="Alias"/> = Identity(<paramref name="Source"/>), both initializers by origin.</summary>
    public sealed record Alias(string Name, string Source, string NodeName);

    /// <summary>Identity aliases of floating initializers in <paramref name="graph"/> (chains resolved to the root initializer).</summary>
    public static IReadOnlyList<Alias> Find(GraphProto graph)
    {
        var initializers = graph.Initializer.Where(i => OnnxType.IsFloating(i.DataType)).ToDictionary(i => i.Name, StringComparer.Ordinal);
        var root = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<Alias>();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node.OpType != "Identity" || !OnnxModel.IsDefaultDomain(node.Domain) || node.Input.Count != 1 || node.Output.Count != 1) continue;
            var input = node.Input[0];
            var source = initializers.ContainsKey(input) ? input : root.GetValueOrDefault(input);
            if (source is null || outputs.Contains(node.Output[0])) continue;
            root[node.Output[0]] = source;
            result.Add(new Alias(node.Output[0], source, node.Name));
        }
        // Uses of each root other than through its aliases: an alias is a separate use of the weights only when the root has another one.
        var aliasNames = result.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var directUses = graph.Node.Where(n => !(n.OpType == "Identity" && n.Output.Count == 1 && aliasNames.Contains(n.Output[0])))
            .SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).Where(initializers.ContainsKey)
            .GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var aliasCount = result.GroupBy(a => a.Source).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return result.Where(a => directUses.GetValueOrDefault(a.Source) + aliasCount[a.Source] > 1).ToList();
    }

    /// <summary>Rewrites <paramref name="graph"/> in place; returns the aliases that were untied.</summary>
    public static IReadOnlyList<Alias> Apply(GraphProto graph)
    {
        var aliases = Find(graph);
        if (aliases.Count == 0) return aliases;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var untied = aliases.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var a in aliases)
        {
            var copy = initializers[a.Source].Clone();
            copy.Name = a.Name;
            copy.MetadataProps.Add(new StringStringEntryProto { Key = AliasOfKey, Value = a.Source });
            graph.Initializer.Add(copy);
        }
        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            var n = graph.Node[i];
            if (n.OpType == "Identity" && n.Output.Count == 1 && untied.Contains(n.Output[0])) graph.Node.RemoveAt(i);
        }
        for (var i = graph.ValueInfo.Count - 1; i >= 0; i--)
            if (untied.Contains(graph.ValueInfo[i].Name)) graph.ValueInfo.RemoveAt(i);
        return aliases;
    }
}
