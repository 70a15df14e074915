using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.TestSupport;

/// <summary>Small hand-built ONNX models for I/O and normalisation tests.</summary>
internal static class TinyModels
{
    /// <summary>A value-info entry for a float tensor with fixed dims.</summary>
    public static ValueInfoProto FloatInfo(string name, params long[] dims) => TensorInfo(name, TensorProto.Types.DataType.Float, dims);

    public static ValueInfoProto TensorInfo(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static NodeProto Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{outputs[0]}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static ModelProto Model(long opset, IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs,
        IEnumerable<ValueInfoProto> outputs, IEnumerable<TensorProto>? initializers = null, long irVersion = 8)
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Node.AddRange(nodes);
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        if (initializers is not null) graph.Initializer.AddRange(initializers);
        var model = new ModelProto { IrVersion = irVersion, ProducerName = "OnnxRay.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>
    /// Y = (X + A) * B + C with float initializers A [rows, cols], B [rows, cols] and a small C [cols]
    /// (deterministic values), X an input of the same shape.
    /// </summary>
    public static ModelProto AffineModel(int rows = 64, int cols = 32)
    {
        var a = Enumerable.Range(0, rows * cols).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var b = Enumerable.Range(0, rows * cols).Select(i => 1f + 0.001f * i).ToArray();
        var c = Enumerable.Range(0, cols).Select(i => -0.5f * i).ToArray();
        return Model(18,
            [Node("Add", ["X", "A"], ["S"]), Node("Mul", ["S", "B"], ["P"]), Node("Add", ["P", "C"], ["Y"])],
            [FloatInfo("X", rows, cols)], [FloatInfo("Y", rows, cols)],
            [TensorData.FromFloats("A", [rows, cols], a), TensorData.FromFloats("B", [rows, cols], b), TensorData.FromFloats("C", [cols], c)]);
    }

    /// <summary>A model whose single initializer W [4] is declared external with the given entries.</summary>
    public static ModelProto ExternalWeightModel(params (string Key, string Value)[] entries)
    {
        var w = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.Add(4);
        foreach (var (key, value) in entries) w.ExternalData.Add(new StringStringEntryProto { Key = key, Value = value });
        return Model(18, [Node("Add", ["X", "W"], ["Y"])], [FloatInfo("X", 4)], [FloatInfo("Y", 4)], [w]);
    }
}
