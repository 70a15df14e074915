using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Replaces every call of a model-local FunctionProto (the dynamo exporter emits them) by the function body:
/// formal inputs/outputs become the call's actual values, internal values and node names get unique names,
/// and attributes that refer to the caller's attributes (ref_attr_name) are substituted, falling back to the
/// function's defaults. Nested calls are inlined recursively.
/// </summary>
internal static class FunctionInliner
{
    private const int MaxDepth = 64;

    public static void Apply(ModelProto model, NormalizationContext context)
    {
        if (model.Functions.Count == 0) return;
        var functions = model.Functions.ToDictionary(f => Key(f.Domain, f.Name, f.Overload), f => f);
        var result = new List<NodeProto>();
        foreach (var node in model.Graph.Node) Expand(node, functions, context, result, 0);
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(result);
        model.Functions.Clear();
    }

    private static string Key(string domain, string name, string overload) => $"{domain}\u0001{name}\u0001{overload}";

    private static void Expand(NodeProto node, Dictionary<string, FunctionProto> functions, NormalizationContext context, List<NodeProto> output, int depth)
    {
        if (!functions.TryGetValue(Key(node.Domain, node.OpType, node.Overload), out var function))
        {
            output.Add(node);
            return;
        }
        if (depth > MaxDepth)
            throw new OnnxFormatException(context.ModelPath, $"function '{function.Name}' calls itself recursively (through node '{node.Name}')");

        var prefix = string.IsNullOrEmpty(node.Name) ? function.Name : node.Name;
        var rename = new Dictionary<string, string>(StringComparer.Ordinal) { [""] = "" };
        for (var i = 0; i < function.Input.Count; i++) rename[function.Input[i]] = i < node.Input.Count ? node.Input[i] : "";
        for (var i = 0; i < function.Output.Count; i++) rename[function.Output[i]] = i < node.Output.Count ? node.Output[i] : context.NewName($"{prefix}/{function.Output[i]}");

        var callerAttributes = node.Attribute.ToDictionary(a => a.Name, a => a, StringComparer.Ordinal);
        var defaults = function.AttributeProto.ToDictionary(a => a.Name, a => a, StringComparer.Ordinal);

        foreach (var bodyNode in function.Node)
        {
            var copy = bodyNode.Clone();
            copy.Name = context.NewName($"{prefix}/{(string.IsNullOrEmpty(bodyNode.Name) ? bodyNode.OpType : bodyNode.Name)}");
            for (var i = 0; i < copy.Input.Count; i++) copy.Input[i] = Map(copy.Input[i], rename, prefix, context);
            for (var i = 0; i < copy.Output.Count; i++) copy.Output[i] = Map(copy.Output[i], rename, prefix, context);
            SubstituteAttributes(copy, callerAttributes, defaults);
            Expand(copy, functions, context, output, depth + 1);
        }
    }

    private static string Map(string name, Dictionary<string, string> rename, string prefix, NormalizationContext context)
    {
        if (!rename.TryGetValue(name, out var mapped))
        {
            mapped = context.NewName($"{prefix}/{name}");
            rename[name] = mapped;
        }
        return mapped;
    }

    private static void SubstituteAttributes(NodeProto node, Dictionary<string, AttributeProto> caller, Dictionary<string, AttributeProto> defaults)
    {
        for (var i = node.Attribute.Count - 1; i >= 0; i--)
        {
            var attribute = node.Attribute[i];
            if (string.IsNullOrEmpty(attribute.RefAttrName)) continue;
            var source = caller.GetValueOrDefault(attribute.RefAttrName) ?? defaults.GetValueOrDefault(attribute.RefAttrName);
            if (source is null || IsUnset(source)) { node.Attribute.RemoveAt(i); continue; }
            var value = source.Clone();
            value.Name = attribute.Name;
            value.RefAttrName = "";
            node.Attribute[i] = value;
        }
    }

    // A default declared only by name/type (no value) in attribute_proto means "no default".
    private static bool IsUnset(AttributeProto a) =>
        a.Type == AttributeProto.Types.AttributeType.Undefined && a.T is null && a.G is null && a.Ints.Count == 0 && a.Floats.Count == 0
        && a.Strings.Count == 0 && a.S.IsEmpty && a.I == 0 && a.F == 0;
}
