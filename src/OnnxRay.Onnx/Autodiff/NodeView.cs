using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>Read-only view of a node with typed attribute access (defaults per the ONNX spec are the caller's).</summary>
public sealed class NodeView(NodeProto node, long opset)
{
    public NodeProto Proto { get; } = node;
    public string OpType => Proto.OpType;
    public string Name => Proto.Name;
    public long Opset { get; } = opset;
    public int InputCount => Proto.Input.Count;
    public int OutputCount => Proto.Output.Count;

    /// <summary>Input name, or "" when the optional input is omitted or beyond the list.</summary>
    public string Input(int index) => index < Proto.Input.Count ? Proto.Input[index] : "";

    /// <summary>Output name, or "" when absent.</summary>
    public string Output(int index) => index < Proto.Output.Count ? Proto.Output[index] : "";

    public bool HasInput(int index) => Input(index).Length > 0;

    public AttributeProto? Attribute(string name) => Proto.Attribute.FirstOrDefault(a => a.Name == name);

    public long GetInt(string name, long defaultValue) => Attribute(name) is { } a ? a.I : defaultValue;

    public float GetFloat(string name, float defaultValue) => Attribute(name) is { } a ? a.F : defaultValue;

    public string GetString(string name, string defaultValue) => Attribute(name) is { } a ? a.S.ToStringUtf8() : defaultValue;

    public long[]? GetInts(string name) => Attribute(name) is { } a ? a.Ints.ToArray() : null;

    public float[]? GetFloats(string name) => Attribute(name) is { } a ? a.Floats.ToArray() : null;

    public override string ToString() => $"{OpType} '{Name}'";
}
