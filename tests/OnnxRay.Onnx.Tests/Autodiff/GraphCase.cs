using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

/// <summary>
/// A hand-built test graph: parameters are float initializers, the data input <c>s</c> is a random seed direction, and the
/// model output <c>L</c> = Σ s ⊙ Y is the scalar log-likelihood (head <c>output:L</c>), so ∂L/∂θ exercises the VJP of Y.
/// </summary>
internal sealed class GraphCase
{
    private readonly GraphProto _graph = new() { Name = "engine_test" };
    private readonly Random _random;
    private int _n;

    public GraphCase(int seed = 1) => _random = new Random(seed);

    public Dictionary<string, NpyArray> Data { get; } = new(StringComparer.Ordinal);

    /// <summary>A parameter initializer with values uniform in [lo, hi].</summary>
    public string Param(string name, long[] shape, double lo = -1, double hi = 1) =>
        ParamValues(name, shape, Enumerable.Range(0, (int)shape.Aggregate(1L, (a, d) => a * d)).Select(_ => (float)(lo + (hi - lo) * _random.NextDouble())).ToArray());

    public string ParamValues(string name, long[] shape, float[] values)
    {
        _graph.Initializer.Add(TensorData.FromFloats(name, shape, values));
        return name;
    }

    public string Input(string name, NpyArray value)
    {
        _graph.Input.Add(ThetaRewriter.TensorInput(name, OrtTensors.OnnxTypeOf(value.Dtype), value.Shape));
        Data[name] = value;
        return name;
    }

    public string ConstInt64(params long[] values)
    {
        var t = TensorData.FromInt64s($"k{_n++}", [values.Length], values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Nodes(op, inputs, 1, "", attributes)[0];

    public string[] Nodes(string op, string[] inputs, int outputs, string domain = "", params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_n++}", Domain = domain };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => $"{node.Name}_y{i}").ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>Finishes the graph with L = ReduceSum(Y ⊙ s) for a random s of <paramref name="yShape"/> (data input "s").</summary>
    public OnnxModel Finish(string y, long[] yShape)
    {
        var count = (int)yShape.Aggregate(1L, (a, d) => a * d);
        var sShape = yShape.Length == 0 ? new long[] { 1 } : yShape;
        var s = Input("s", NpyArray.FromFloats(Enumerable.Range(0, count).Select(_ => (float)(_random.NextDouble() * 2 - 1)).ToArray(), sShape));
        var l = Node("ReduceSum", [Node("Mul", [y, s])], Attr.Int("keepdims", 0));
        return FinishScalar(l);
    }

    /// <summary>Finishes the graph with <paramref name="scalarOutput"/> exposed as the model output "L".</summary>
    public OnnxModel FinishScalar(string scalarOutput)
    {
        _graph.Node.Add(new NodeProto { OpType = "Identity", Name = "to_L", Input = { scalarOutput }, Output = { "L" } });
        var graph = _graph.Clone();
        graph.Output.Add(new ValueInfoProto { Name = "L" });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        return new OnnxModel(model, "engine_test.onnx", null);
    }

    public ModelProto RawModel(params string[] outputs)
    {
        var graph = _graph.Clone();
        foreach (var o in outputs) graph.Output.Add(new ValueInfoProto { Name = o });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        return model;
    }
}
