using Google.Protobuf;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// Appends standard-op nodes and constants to a graph under collision-free names, and keeps track of the
/// static shapes of what it emits where that is cheap to know (elementwise broadcasting, Reshape to a constant
/// shape, Transpose, MatMul, Gemm, reductions with constant axes), so that later unreduces know their input shapes.
/// </summary>
public sealed class GraphEmitter
{
    private static readonly HashSet<string> ElementwiseOps = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Exp", "Log", "Sqrt", "Abs", "Reciprocal", "Sign", "Relu", "Sigmoid",
        "Tanh", "Erf", "Identity", "Sum", "Max", "Min", "Softplus", "Where", "LeakyRelu",
    };
    private static readonly HashSet<string> BoolOps = new(StringComparer.Ordinal)
    {
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor",
    };

    private readonly Dictionary<string, string> _int64Constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _int64Values = new(StringComparer.Ordinal);
    private readonly Dictionary<(double, int), string> _scalarConstants = new();
    private readonly Dictionary<long, string> _onesConstants = new();

    public GraphEmitter(GraphProto graph, UniqueNames names, ValueInfoTable types)
    {
        Graph = graph;
        Names = names;
        Types = types;
    }

    public GraphProto Graph { get; }
    public UniqueNames Names { get; }
    public ValueInfoTable Types { get; }

    /// <summary>Appends a node with one output and returns the output name.</summary>
    public string Op(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes) =>
        OpMulti(opType, inputs, 1, attributes)[0];

    /// <summary>Appends a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] OpMulti(string opType, IReadOnlyList<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Names.Next(opType) };
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (var i = 0; i < outputCount; i++) outputs[i] = Names.Next(opType.ToLowerInvariant());
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        if (outputCount == 1) InferType(node);
        return outputs;
    }

    /// <summary>Appends a one-output node of operator domain <paramref name="domain"/> ("" for standard ops) whose output shape the caller knows (recorded for later passes).</summary>
    public string DomainOp(string domain, string opType, IReadOnlyList<string> inputs, long[] outputShape, int elementType, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Domain = domain, Name = Names.Next(opType) };
        node.Input.AddRange(inputs);
        var output = Names.Next(opType.ToLowerInvariant());
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        Types.Set(output, outputShape, elementType);
        return output;
    }

    /// <summary>A 1-D int64 constant; identical values share one initializer.</summary>
    public string ConstInt64(params long[] values)
    {
        var key = string.Join(",", values);
        if (_int64Constants.TryGetValue(key, out var existing)) return existing;
        var t = new TensorProto { Name = Names.Next("i64"), DataType = OnnxType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        Graph.Initializer.Add(t);
        Types.Set(t.Name, [values.Length], OnnxType.Int64);
        _int64Constants[key] = t.Name;
        _int64Values[t.Name] = values;
        return t.Name;
    }

    /// <summary>The values of a constant made by <see cref="ConstInt64"/>, or null.</summary>
    public long[]? Int64ConstantValues(string name) => _int64Values.GetValueOrDefault(name);

    /// <summary>A scalar constant of the given element type; identical values share one initializer.</summary>
    public string ConstScalar(double value, int elementType = OnnxType.Float)
    {
        if (_scalarConstants.TryGetValue((value, elementType), out var existing)) return existing;
        var t = new TensorProto { Name = Names.Next("c"), DataType = elementType };
        switch (elementType)
        {
            case OnnxType.Float: t.FloatData.Add((float)value); break;
            case OnnxType.Double: t.DoubleData.Add(value); break;
            case OnnxType.Int64: t.Int64Data.Add((long)value); break;
            case OnnxType.Int32: t.Int32Data.Add((int)value); break;
            case OnnxType.Bool: t.Int32Data.Add(value != 0 ? 1 : 0); break;
            case OnnxType.Float16: t.Int32Data.Add(BitConverter.HalfToUInt16Bits((Half)value)); break;
            case OnnxType.BFloat16: t.Int32Data.Add((int)(BitConverter.SingleToUInt32Bits((float)value) >> 16)); break;
            default: throw new ArgumentException($"No scalar constant for ONNX element type {elementType}.");
        }
        Graph.Initializer.Add(t);
        Types.Set(t.Name, [], elementType);
        _scalarConstants[(value, elementType)] = t.Name;
        return t.Name;
    }

    /// <summary>Adds an arbitrary constant tensor under a fresh name (the given name is replaced).</summary>
    public string Const(TensorProto value)
    {
        var t = value.Clone();
        t.Name = Names.Next("const");
        Graph.Initializer.Add(t);
        Types.Set(t.Name, t.Dims.ToArray(), t.DataType);
        return t.Name;
    }

    /// <summary>Zeros of a static shape and element type (ConstantOfShape; scalars come out as rank 0).</summary>
    public string Zeros(long[] shape, int elementType)
    {
        var value = new TensorProto { DataType = elementType };
        value.Dims.Add(1);
        switch (elementType)
        {
            case OnnxType.Float: value.FloatData.Add(0f); break;
            case OnnxType.Double: value.DoubleData.Add(0.0); break;
            case OnnxType.Int64: value.Int64Data.Add(0); break;
            default: value.Int32Data.Add(0); break;
        }
        var name = Op("ConstantOfShape", [ConstInt64(shape)], Attr.Tensor("value", value));
        Types.Set(name, shape, elementType);
        return name;
    }

    /// <summary>Zeros with the static shape and element type of <paramref name="likeValue"/>.</summary>
    public string ZerosLike(string likeValue)
    {
        var t = RequireType(likeValue);
        return Zeros(t.Shape, t.ElementType);
    }

    /// <summary>§4 unreduce: sums <paramref name="gradient"/> (shape <paramref name="gradientShape"/>) over broadcast axes and reshapes to <paramref name="operandShape"/>.</summary>
    public string Unreduce(string gradient, long[] gradientShape, long[] operandShape)
    {
        if (gradientShape.SequenceEqual(operandShape)) return gradient;
        var axes = Broadcasting.ReductionAxes(gradientShape, operandShape);
        var reduced = gradient;
        // Never a ReduceSum with empty axes: by default that reduces every axis.
        if (axes is [0] && gradientShape is [> 1, _] && RequireType(gradient).ElementType == OnnxType.Float)
        {
            // A bias [N] under [B, N]: ones[B] · Ȳ is one GEMV, several times faster in ORT than ReduceSum over the leading axis.
            reduced = Op("MatMul", [Ones(gradientShape[0]), gradient]);
            Types.Set(reduced, [gradientShape[1]], OnnxType.Float);
        }
        else if (axes.Length > 0)
        {
            // Dropping the reduced axes often gives the operand's shape already (a bias [C] under [N,C]): no Reshape node.
            var dropped = gradientShape.Where((_, i) => !axes.Contains(i)).ToArray();
            reduced = Op("ReduceSum", [gradient, ConstInt64(axes)], Attr.Int("keepdims", dropped.SequenceEqual(operandShape) ? 0 : 1));
        }
        return Reshape(reduced, operandShape);
    }

    /// <summary>A float vector of <paramref name="length"/> ones; one initializer per length.</summary>
    private string Ones(long length)
    {
        if (!_onesConstants.TryGetValue(length, out var name))
            _onesConstants[length] = name = Const(IO.TensorData.FromFloats("", [length], Enumerable.Repeat(1f, checked((int)length)).ToArray()));
        return name;
    }

    /// <summary>Reshape to a static shape (emits nothing when the known shape already matches).</summary>
    public string Reshape(string value, long[] shape)
    {
        if (Types.TryGet(value, out var t) && t.Shape.SequenceEqual(shape)) return value;
        return Op("Reshape", [value, ConstInt64(shape)]);
    }

    public StaticValue RequireType(string name) =>
        Types.TryGet(name, out var t) ? t : throw new InvalidOperationException($"No static shape recorded for value '{name}'.");

    /// <summary>Records the output shape/type of a freshly emitted node where it follows cheaply from its inputs.</summary>
    private void InferType(NodeProto node)
    {
        var inputs = node.Input.Select(n => n.Length == 0 ? (StaticValue?)null : Types.Find(n)).ToArray();
        var output = node.Output[0];
        long GetInt(string name, long dflt) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : dflt;
        switch (node.OpType)
        {
            case var op when ElementwiseOps.Contains(op) || BoolOps.Contains(op):
                {
                    if (inputs.Any(i => i is null)) return;
                    var shape = Broadcasting.Shape(inputs.Select(i => i!.Value.Shape).ToArray());
                    if (shape is null) return;
                    var type = BoolOps.Contains(op) ? OnnxType.Bool : op == "Where" ? inputs[1]!.Value.ElementType : inputs[0]!.Value.ElementType;
                    Types.Set(output, shape, type);
                    return;
                }
            case "Cast":
                if (inputs[0] is { } c) Types.Set(output, c.Shape, (int)GetInt("to", OnnxType.Float));
                return;
            case "Reshape":
                {
                    if (inputs[0] is not { } x || Int64ConstantValues(node.Input[1]) is not { } target) return;
                    var shape = target.ToArray();
                    for (var i = 0; i < shape.Length; i++) if (shape[i] == 0) shape[i] = x.Shape[i];
                    var minus = Array.IndexOf(shape, -1L);
                    if (minus >= 0)
                    {
                        var known = shape.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
                        shape[minus] = known == 0 ? 0 : x.ElementCount / known;
                    }
                    Types.Set(output, shape, x.ElementType);
                    return;
                }
            case "Transpose":
                {
                    if (inputs[0] is not { } x) return;
                    var perm = node.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints.ToArray()
                               ?? Enumerable.Range(0, x.Shape.Length).Reverse().Select(i => (long)i).ToArray();
                    Types.Set(output, perm.Select(p => x.Shape[p]).ToArray(), x.ElementType);
                    return;
                }
            case "Gemm":
                {
                    if (inputs[0] is not { } a || inputs[1] is not { } b) return;
                    var m = GetInt("transA", 0) != 0 ? a.Shape[1] : a.Shape[0];
                    var n = GetInt("transB", 0) != 0 ? b.Shape[0] : b.Shape[1];
                    Types.Set(output, [m, n], a.ElementType);
                    return;
                }
            case "MatMul":
                {
                    if (inputs[0] is not { } a || inputs[1] is not { } b || a.Shape.Length < 2 || b.Shape.Length < 2) return;
                    var batch = Broadcasting.Shape([a.Shape[..^2], b.Shape[..^2]]);
                    if (batch is null) return;
                    Types.Set(output, [.. batch, a.Shape[^2], b.Shape[^1]], a.ElementType);
                    return;
                }
            case "ReduceSum" or "ReduceMean" or "ReduceSumSquare" or "ReduceMax":
                {
                    if (inputs[0] is not { } x) return;
                    var keep = GetInt("keepdims", 1) != 0;
                    var axes = node.Input.Count > 1 && node.Input[1].Length > 0 ? Int64ConstantValues(node.Input[1]) : null;
                    if (node.Input.Count > 1 && node.Input[1].Length > 0 && axes is null) return;
                    var all = axes is null || axes.Length == 0;
                    var r = x.Shape.Length;
                    var set = all ? Enumerable.Range(0, r).Select(i => (long)i).ToHashSet() : axes!.Select(a => a < 0 ? a + r : a).ToHashSet();
                    var shape = new List<long>();
                    for (var i = 0; i < r; i++)
                        if (!set.Contains(i)) shape.Add(x.Shape[i]);
                        else if (keep) shape.Add(1);
                    Types.Set(output, shape.ToArray(), x.ElementType);
                    return;
                }
            case "Unsqueeze" or "Squeeze":
                {
                    if (inputs[0] is not { } x || node.Input.Count < 2 || Int64ConstantValues(node.Input[1]) is not { } axes) return;
                    var shape = x.Shape.ToList();
                    if (node.OpType == "Unsqueeze")
                    {
                        var outRank = shape.Count + axes.Length;
                        foreach (var a in axes.Select(a => a < 0 ? a + outRank : a).Order()) shape.Insert((int)a, 1);
                    }
                    else
                        foreach (var a in axes.Select(a => a < 0 ? a + shape.Count : a).OrderDescending()) shape.RemoveAt((int)a);
                    Types.Set(output, shape.ToArray(), x.ElementType);
                    return;
                }
        }
    }

    /// <summary>A TensorProto holding one float (for ConstantOfShape values and similar attributes).</summary>
    public static TensorProto FloatTensor(float value)
    {
        var t = new TensorProto { DataType = OnnxType.Float };
        t.Dims.Add(1);
        t.FloatData.Add(value);
        return t;
    }

    internal static ByteString Utf8(string s) => ByteString.CopyFromUtf8(s);
}
