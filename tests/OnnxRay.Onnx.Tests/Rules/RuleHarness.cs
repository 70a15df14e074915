using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// A small, real reverse pass used to exercise the rules in isolation: probe run for static shapes, reverse walk
/// applying the registered rules, summed contributions, and one ORT run of the forward + backward graph.
/// It implements the whole <see cref="GradientContext"/> contract so that the rules are tested exactly as written.
/// </summary>
public sealed class RuleHarness : GradientContext
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _contributions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly GradientRuleRegistry _registry = GradientRuleRegistry.Default;
    private IGradientRule _rule = null!;
    private NodeView _node = null!;
    private int _counter;

    private RuleHarness(GraphProto graph) => _graph = graph;

    /// <summary>
    /// ∂/∂x of Σ seed ⊙ output for each name in <paramref name="wrt"/> (float graph inputs), and the forward output.
    /// </summary>
    public static (Dictionary<string, TestTensor> Gradients, TestTensor Output) Gradients(
        ModelProto model, IReadOnlyDictionary<string, TestTensor> feeds, IReadOnlyList<string> wrt, string output, TestTensor seed)
    {
        var harness = new RuleHarness(model.Graph.Clone());
        harness.Probe(model, feeds);
        var gradientNames = harness.Backward(wrt, output, seed.Shape);
        var full = TestGraph.Model(harness._graph);
        var allFeeds = new Dictionary<string, TestTensor>(feeds, StringComparer.Ordinal) { ["harness_seed"] = seed };
        var results = OrtRunner.Run(full, allFeeds, [output, .. gradientNames]);
        var grads = new Dictionary<string, TestTensor>(StringComparer.Ordinal);
        for (int i = 0; i < wrt.Count; i++) grads[wrt[i]] = results[gradientNames[i]];
        return (grads, results[output]);
    }

    private void Probe(ModelProto model, IReadOnlyDictionary<string, TestTensor> feeds)
    {
        var probe = model.Clone();
        probe.Graph.Output.Clear();
        var names = probe.Graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).Distinct().ToList();
        foreach (var n in names) probe.Graph.Output.Add(new ValueInfoProto { Name = n });
        var values = OrtRunner.Run(probe, feeds, names);
        foreach (var (name, t) in values) { _shapes[name] = t.Shape; _types[name] = t.IsInt64 ? OnnxType.Int64 : OnnxType.Float; }
        foreach (var (name, t) in feeds) { _shapes[name] = t.Shape; _types[name] = t.IsInt64 ? OnnxType.Int64 : OnnxType.Float; }
        foreach (var init in model.Graph.Initializer) { _shapes[init.Name] = init.Dims.ToArray(); _types[init.Name] = init.DataType; }
    }

    private string[] Backward(IReadOnlyList<string> wrt, string output, long[] seedShape)
    {
        _graph.Input.Add(TestGraph.ValueInfo("harness_seed", OnnxType.Float, seedShape));
        foreach (var w in wrt) _active.Add(w);
        var forward = _graph.Node.ToList();
        foreach (var n in forward)
            if (n.Input.Any(_active.Contains)) foreach (var o in n.Output) _active.Add(o);
        _contributions[output] = ["harness_seed"];
        for (int i = forward.Count - 1; i >= 0; i--)
        {
            var proto = forward[i];
            if (!proto.Output.Any(_contributions.ContainsKey) || !proto.Input.Any(_active.Contains)) continue;
            _node = new NodeView(proto, 18);
            _rule = _registry.Find(proto.OpType) ?? throw new InvalidOperationException($"no gradient rule for {proto.OpType}");
            if (_rule.CheckSupported(_node) is { } reason) throw new NotSupportedException(reason);
            _rule.Emit(this);
        }
        _graph.Output.Clear();
        _graph.Output.Add(new ValueInfoProto { Name = output });
        var result = new string[wrt.Count];
        for (int i = 0; i < wrt.Count; i++)
        {
            result[i] = Gradient(wrt[i]) ?? ZerosLike(wrt[i]);
            var named = Op("Identity", [result[i]]);
            result[i] = named;
            _graph.Output.Add(new ValueInfoProto { Name = named });
        }
        return result;
    }

    private string? Gradient(string value)
    {
        if (!_contributions.TryGetValue(value, out var list) || list.Count == 0) return null;
        if (list.Count > 1) _contributions[value] = list = [Op("Sum", list)];
        return list[0];
    }

    public override NodeView Node => _node;

    public override string? OutputGradient(int outputIndex) => _node.Output(outputIndex) is { Length: > 0 } name ? Gradient(name) : null;

    public override string OutputGradientOrZeros(int outputIndex) => OutputGradient(outputIndex) ?? ZerosLike(_node.Output(outputIndex));

    public override bool NeedsInputGradient(int inputIndex) =>
        _node.HasInput(inputIndex) && _active.Contains(_node.Input(inputIndex)) && _rule.IsDifferentiableInput(_node, inputIndex);

    public override void AddInputGradient(int inputIndex, string gradientName)
    {
        if (!NeedsInputGradient(inputIndex)) throw new InvalidOperationException($"{_node}: gradient added for input {inputIndex}, which needs none");
        var name = _node.Input(inputIndex);
        if (!_contributions.TryGetValue(name, out var list)) _contributions[name] = list = [];
        list.Add(gradientName);
    }

    public override long[] Shape(string valueName) =>
        _shapes.TryGetValue(valueName, out var s) ? s : throw new KeyNotFoundException($"no static shape for '{valueName}'");

    public override int ElementType(string valueName) => _types[valueName];

    public override string ForwardOutput(int outputIndex)
    {
        if (_node.Output(outputIndex) is { Length: > 0 } existing) return existing;
        while (_node.Proto.Output.Count < outputIndex) _node.Proto.Output.Add("");
        string name = $"harness_fwd{_counter++}";
        _node.Proto.Output.Add(name);
        // Only MaxPool's Indices is requested by the rules under test: same shape as Y, int64.
        _shapes[name] = Shape(_node.Output(0));
        _types[name] = OnnxType.Int64;
        return name;
    }

    public override string Op(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes) =>
        OpMulti(opType, inputs, 1, attributes)[0];

    public override string[] OpMulti(string opType, IReadOnlyList<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"harness_n{_counter++}" };
        node.Input.AddRange(inputs);
        var outputs = Enumerable.Range(0, outputCount).Select(_ => $"harness_v{_counter++}").ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    public override string ConstInt64(params long[] values)
    {
        var t = new TensorProto { DataType = OnnxType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return Const(t);
    }

    public override string ConstScalar(double value, int elementType = OnnxType.Float)
    {
        var t = new TensorProto { DataType = elementType };
        switch (elementType)
        {
            case OnnxType.Float: t.FloatData.Add((float)value); break;
            case OnnxType.Double: t.DoubleData.Add(value); break;
            case OnnxType.Int64: t.Int64Data.Add((long)value); break;
            case OnnxType.Int32: t.Int32Data.Add((int)value); break;
            default: throw new NotSupportedException($"scalar of type {elementType}");
        }
        return Const(t);
    }

    public override string Const(TensorProto value)
    {
        var t = value.Clone();
        t.Name = $"harness_c{_counter++}";
        _graph.Initializer.Add(t);
        _shapes[t.Name] = t.Dims.ToArray();
        _types[t.Name] = t.DataType;
        return t.Name;
    }

    public override string ZerosLike(string likeValue)
    {
        var zero = new TensorProto { DataType = ElementType(likeValue) };
        zero.Dims.Add(1);
        if (zero.DataType == OnnxType.Int64) zero.Int64Data.Add(0); else zero.FloatData.Add(0);
        return Op("ConstantOfShape", [ConstInt64(Shape(likeValue))], Attr.Tensor("value", zero));
    }

    public override string Unreduce(string gradient, string operand) =>
        throw new NotSupportedException("the rules under test never broadcast");
}
