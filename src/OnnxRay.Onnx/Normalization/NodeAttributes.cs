using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>Small helpers to read and remove node attributes by name.</summary>
internal static class NodeAttributes
{
    public static AttributeProto? Find(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long? Int(NodeProto node, string name) => Find(node, name) is { } a ? a.I : null;

    public static float? Float(NodeProto node, string name) => Find(node, name) is { } a ? a.F : null;

    public static long[]? Ints(NodeProto node, string name) => Find(node, name) is { } a ? a.Ints.ToArray() : null;

    public static string? String(NodeProto node, string name) => Find(node, name) is { } a ? a.S.ToStringUtf8() : null;

    /// <summary>Removes the attribute if present and returns it.</summary>
    public static AttributeProto? Take(NodeProto node, string name)
    {
        var a = Find(node, name);
        if (a is not null) node.Attribute.Remove(a);
        return a;
    }

    public static void Remove(NodeProto node, params string[] names)
    {
        foreach (var name in names) Take(node, name);
    }

    /// <summary>Sets input <paramref name="index"/>, padding with "" (omitted optional inputs) as needed.</summary>
    public static void SetInput(NodeProto node, int index, string value)
    {
        while (node.Input.Count <= index) node.Input.Add("");
        node.Input[index] = value;
    }

    /// <summary>Drops trailing "" inputs, which mean "omitted" anyway.</summary>
    public static void TrimTrailingEmptyInputs(NodeProto node)
    {
        while (node.Input.Count > 0 && node.Input[^1].Length == 0) node.Input.RemoveAt(node.Input.Count - 1);
    }
}
