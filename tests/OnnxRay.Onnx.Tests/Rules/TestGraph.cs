using Google.Protobuf;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Builds small opset-18 ONNX graphs for rule tests: typed inputs, int64 constants and nodes.</summary>
public sealed class TestGraph
{
    private readonly GraphProto _graph = new() { Name = "rule_test" };
    private int _constants;

    /// <summary>Feeds for the graph inputs declared so far.</summary>
    public Dictionary<string, TestTensor> Feeds { get; } = new(StringComparer.Ordinal);

    public string Input(string name, TestTensor value)
    {
        _graph.Input.Add(ValueInfo(name, value.IsInt64 ? OnnxType.Int64 : OnnxType.Float, value.Shape));
        Feeds[name] = value;
        return name;
    }

    /// <summary>An int64 initializer (axes, starts, pads, split sizes…).</summary>
    public string ConstInt64(long[] shape, params long[] values)
    {
        var t = new TensorProto { Name = $"c{_constants++}", DataType = OnnxType.Int64 };
        t.Dims.AddRange(shape);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string ConstInt64(params long[] values) => ConstInt64([values.Length], values);

    public string[] Node(string opType, string[] inputs, int outputCount, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        var outputs = Enumerable.Range(0, outputCount).Select(i => $"{node.Name}_out{i}").ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    public string Node(string opType, string[] inputs, params AttributeProto[] attributes) => Node(opType, inputs, 1, attributes)[0];

    public ModelProto Build(params string[] outputs)
    {
        var graph = _graph.Clone();
        foreach (var o in outputs) graph.Output.Add(new ValueInfoProto { Name = o });
        return Model(graph);
    }

    public static ModelProto Model(GraphProto graph, long opset = 18)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "OnnxRay.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static ValueInfoProto ValueInfo(string name, int elementType, long[] shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = new TensorShapeProto() };
        foreach (var d in shape) tensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
