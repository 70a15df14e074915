using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// A group of G draws of a dense network (Gemm/MatMul layers on a 2-D activation, elementwise ops, Flatten/Reshape
/// that keep it, a softmax head) as one chain over a leading draw axis, with no per-draw nodes: the first layer reads
/// the shared data once as one Gemm with the G draws' weights side by side (<c>[G·N, K] × xᵀ → [G·N, B]</c>, bias and
/// activation fused by ORT), the next layers are batched MatMuls in feature-major form (<c>[G, N, K] × [G, K, B]</c>,
/// so no transpose between layers), and the output is one tensor <c>[G, B, …]</c> whose slice j is draw j's output
/// (<see cref="StackedOutputName"/>). The draws' weights are constants laid out at build time. A layer whose output
/// reaches only later layers through ops that keep 1 (Relu and the like) writes one more row of ones per draw, so the
/// next layer's bias rides in its MatMul as one more weight column instead of a separate Add.
/// Measured against renamed copies (8 draws, one thread, ORT thread CPU time at load 8–14, batch 256 / batch 32,
/// per-example multiply-adds of the layers after the first in brackets), without the ones rows: boston_mlp 13→50→1
/// [50] 0.52–0.61× / 0.37–0.47×; 13→50→50→1 [2,550] 0.73× / 0.78×; 13→100→100→1 [10,100] 0.89× / 0.82×;
/// 13→64→64→32→3 [6,240] 1.0× / 0.93×; 32→128→64→10 [8,832] 1.04× / 0.95×; 64→256→256→10 [68k] 1.29× / 1.05×; with
/// them 13→100→100→1 0.84× / 0.72×, 13→64→64→32→3 1.0× / 0.60×, 32→128→64→10 1.03× / 0.83×, 64→256→256→10
/// 1.23× / 0.87×. The later layers are where it loses: a batched MatMul's weights are not pre-packed by ORT (only 2-D
/// ones are) and each activation is a pass of its own, where the copies' Gemms fuse it; so graphs whose later layers
/// cost more than <see cref="MaxLaterMultiplyAdds"/> per example keep the copies. Splitting the stacked output into
/// per-draw graph outputs (Split + Squeeze) cost more than the copies at batch 32, so the runner slices it instead.
/// </summary>
internal static class DenseDrawGraph
{
    private const string Prefix = "onnxray_dense/";

    /// <summary>Per-example multiply-adds of the layers after the first above which the copies win (see above).</summary>
    public const long MaxLaterMultiplyAdds = 4096;

    /// <summary>The group's one output: <c>[G, rows, …]</c>, draw j's output at index j of the leading axis.</summary>
    public static string StackedOutputName(string output) => "onnxray_draws/" + output;

    /// <summary>Why <paramref name="graph"/> cannot run as a stacked dense chain (naming the node at fault), or null when it can.</summary>
    public static string? WhyNot(GraphProto graph, IReadOnlyList<ThetaView> views, string output) =>
        new Translation(graph, views, null, output).Failure;

    /// <summary>
    /// <paramref name="model"/> (θ tensors as the inputs <paramref name="views"/>) holding the draws
    /// <paramref name="thetas"/> as one chain with the output <see cref="StackedOutputName"/>(output). Call only where
    /// <see cref="WhyNot"/> is null.
    /// </summary>
    public static ModelProto Build(ModelProto model, IReadOnlyList<ThetaView> views, IReadOnlyList<float[]> thetas, string output)
    {
        var source = model.Graph;
        var translation = new Translation(source, views, thetas, output);
        if (translation.Failure is { } failure) throw new InvalidOperationException(failure);
        var viewNames = views.Select(v => v.InputName).ToHashSet(StringComparer.Ordinal);
        var result = model.Clone();
        var graph = result.Graph;
        graph.Node.Clear();
        graph.Node.Add(translation.Nodes);
        graph.Input.Clear();
        graph.Input.Add(source.Input.Where(i => !viewNames.Contains(i.Name)));
        graph.Initializer.Add(translation.Initializers);
        // Shared initializers only the original layers read (a Reshape's shape that became a no-op): ORT would warn.
        var read = translation.Nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
            if (!read.Contains(graph.Initializer[i].Name)) graph.Initializer.RemoveAt(i);
        graph.ValueInfo.Clear();
        graph.ValueInfo.Add(source.ValueInfo.Where(v => translation.Shared.Contains(v.Name)));
        graph.Output.Clear();
        var outputInfo = source.Output.Single(o => o.Name == output);
        graph.Output.Add(new ValueInfoProto
        {
            Name = StackedOutputName(output),
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = outputInfo.Type.TensorType.ElemType } },
        });
        return result;
    }

    /// <summary>How a per-draw 2-D activation [B, N] of all G draws is laid out.</summary>
    private enum Form
    {
        /// <summary>[G·N, B]: what the first layer's one Gemm writes.</summary>
        Wide,
        /// <summary>[G, N, B]: feature-major, what the batched MatMuls read and write.</summary>
        Stacked,
        /// <summary>[G, B, N]: each draw's activation as the model has it (softmax heads, the output).</summary>
        BatchMajor,
    }

    /// <summary>
    /// A translated value: its name in the new graph, layout and feature count N; with <paramref name="Ones"/>, each draw's
    /// block has one more feature row of ones, which carries the next layer's bias through its MatMul (no Add).
    /// </summary>
    private readonly record struct Activation(string Name, Form Form, long Features, bool Ones = false)
    {
        public long Rows => Features + (Ones ? 1 : 0);
    }

    /// <summary>Ops that map 1 to 1 (a ones row passes through them unchanged).</summary>
    private static readonly HashSet<string> KeepOne = new(StringComparer.Ordinal) { "Relu", "LeakyRelu", "Elu", "Identity", "Dropout", "Flatten", "Reshape" };

    /// <summary>Walks the graph once, emitting the chain; with no θ (<see cref="WhyNot"/>) only decides whether it can.</summary>
    private sealed class Translation
    {
        private readonly IReadOnlyList<float[]>? _thetas;
        private readonly int _draws;
        private readonly Dictionary<string, ThetaView> _viewByName;
        private readonly Dictionary<string, TensorProto> _initializers;
        private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Activation> _activations = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, Form), string> _converted = new();
        private long _laterMultiplyAdds;
        private readonly GraphProto _graph;
        private readonly ILookup<string, int> _consumers;
        private readonly string _output;
        private readonly Dictionary<string, bool> _carriesOnes = new(StringComparer.Ordinal);

        public Translation(GraphProto graph, IReadOnlyList<ThetaView> views, IReadOnlyList<float[]>? thetas, string output)
        {
            _thetas = thetas;
            _draws = thetas?.Count ?? 2;
            _viewByName = views.ToDictionary(v => v.InputName, StringComparer.Ordinal);
            _initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
            foreach (var info in graph.Input.Concat(graph.ValueInfo).Where(i => i.Type?.TensorType?.Shape is not null))
                _ranks[info.Name] = info.Type.TensorType.Shape.Dim.Count;
            _graph = graph;
            _consumers = ValueConsumers.Of(graph);
            _output = output;
            Shared = graph.Input.Select(i => i.Name).Where(n => !_viewByName.ContainsKey(n))
                .Concat(_initializers.Keys).Append("").ToHashSet(StringComparer.Ordinal);
            Failure = Translate(graph, output);
        }

        /// <summary>Why the graph cannot be translated, or null.</summary>
        public string? Failure { get; }

        public List<NodeProto> Nodes { get; } = [];

        public List<TensorProto> Initializers { get; } = [];

        /// <summary>Draw-independent values: data inputs, unsampled initializers and what only they compute.</summary>
        public HashSet<string> Shared { get; }

        private string? Translate(GraphProto graph, string output)
        {
            foreach (var node in graph.Node)
            {
                if (node.Input.All(Shared.Contains))
                {
                    Nodes.Add(node.Clone());
                    foreach (var o in node.Output) Shared.Add(o);
                    continue;
                }
                var label = $"{node.OpType} node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault())}'";
                if (node.Domain.Length != 0 || node.Output.Count(o => o.Length > 0) != 1 || node.Output[0].Length == 0)
                    return $"{label} is not a single-output default-domain op";
                var failure = node.OpType switch
                {
                    "Gemm" or "MatMul" => Dense(node),
                    "Flatten" or "Reshape" => KeepRows(node),
                    "Softmax" or "LogSoftmax" => Softmax(node),
                    _ when ChannelStackedOps.IsBinary(node) && node.Input.Count == 2 => Binary(node),
                    _ when ChannelStackedOps.IsUnaryElementwise(node) => Unary(node),
                    _ => "the op is not one of Gemm, MatMul, elementwise, Flatten, Reshape, Softmax",
                };
                if (failure is not null) return $"{label}: {failure}";
            }
            if (Shared.Contains(output)) return $"the output '{output}' does not depend on the sampled weights";
            if (_laterMultiplyAdds > MaxLaterMultiplyAdds)
                return $"its layers after the first cost {_laterMultiplyAdds} multiply-adds per example, more than {MaxLaterMultiplyAdds}, where renamed copies run faster";
            var final = Convert(_activations[output], Form.BatchMajor);
            RenameValue(final, StackedOutputName(output));
            return null;
        }

        /// <summary>
        /// Whether a layer's output <paramref name="value"/> should carry a ones row: everything that reads it is a later
        /// layer, or an op that keeps 1 (<see cref="KeepOne"/>) on the way to one, and it is not the output.
        /// </summary>
        private bool CarriesOnes(string value)
        {
            if (_carriesOnes.TryGetValue(value, out var known)) return known;
            var consumers = _consumers[value].Select(k => _graph.Node[k]).ToList();
            var carries = value != _output && consumers.Count > 0 && consumers.All(c =>
                c.Domain.Length == 0 && c.Input[0] == value && !c.Input.Skip(1).Contains(value) &&
                (c.OpType is "Gemm" or "MatMul" || (KeepOne.Contains(c.OpType) && c.Output.Count(o => o.Length > 0) == 1 && CarriesOnes(c.Output[0]))));
            _carriesOnes[value] = carries;
            return carries;
        }

        /// <summary>Gemm (transA 0, alpha and beta 1) or MatMul with a weight [K, N] (or [N, K] with transB) and an optional bias.</summary>
        private string? Dense(NodeProto node)
        {
            var isGemm = node.OpType == "Gemm";
            if (isGemm && ((NodeAttributes.Int(node, "transA") ?? 0) != 0 || (NodeAttributes.Float(node, "alpha") ?? 1) != 1 ||
                           (NodeAttributes.Float(node, "beta") ?? 1) != 1))
                return "transA, alpha or beta is not the default";
            var weight = node.Input[1];
            if (!IsWeight(weight) || WeightShape(weight).Length != 2) return $"its weight '{weight}' is not a 2-D float initializer";
            var transposed = isGemm && (NodeAttributes.Int(node, "transB") ?? 0) != 0;
            var shape = WeightShape(weight);
            var (k, n) = transposed ? (shape[1], shape[0]) : (shape[0], shape[1]);
            var bias = isGemm && node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
            if (bias is not null && !IsPerFeature(bias, n)) return $"its bias '{bias}' is not one value or {n} values per output feature";

            var input = node.Input[0];
            var first = Shared.Contains(input);
            var activation = default(Activation);
            if (!first && !_activations.TryGetValue(input, out activation)) return $"its input '{input}' is not an activation of the chain";
            if (!first && activation.Features != k) return $"its input has {activation.Features} features, the weight {k}";
            var result = new Activation(Prefix + node.Output[0], first ? Form.Wide : Form.Stacked, n, CarriesOnes(node.Output[0]));
            var foldBias = activation.Ones;
            var columns = k + (foldBias ? 1 : 0);

            // Draw j's bias per output row: the layer's own (or 0), and 1 for the ones row.
            float[] Bias(int j)
            {
                var values = new float[result.Rows];
                if (bias is not null) PerFeature(bias, n, j).CopyTo(values, 0);
                if (result.Ones) values[n] = 1;
                return values;
            }

            // Draw j's weight as [rows, K] (the output features as rows), with the bias as one more column where the input
            // carries a ones row, and a zero row (bias 1) for this layer's own ones row.
            float[] Weight(int j)
            {
                var w = DrawValues(weight, j);
                var values = new float[result.Rows * columns];
                for (var r = 0; r < n; r++)
                for (var c = 0; c < k; c++)
                    values[r * columns + c] = transposed ? w[r * k + c] : w[c * n + r];
                if (foldBias)
                {
                    var b = Bias(j);
                    for (var r = 0; r < result.Rows; r++) values[r * columns + k] = b[r];
                }
                return values;
            }

            if (first)
            {
                // The first layer: one Gemm over the shared data with every draw's rows stacked, [G·N, K] × xᵀ.
                if (!isGemm && (!_ranks.TryGetValue(input, out var rank) || rank != 2)) return $"its input '{input}' is not known to be 2-D";
                var gemm = NewNode("Gemm", [Constant(result.Name + "/weight", [_draws * result.Rows, k], Weight), input], result.Name, Attr.Int("transB", 1));
                if (bias is not null || result.Ones) gemm.Input.Add(Constant(result.Name + "/bias", [_draws * result.Rows, 1], Bias));
            }
            else
            {
                _laterMultiplyAdds += n * k;
                var addBias = !foldBias && (bias is not null || result.Ones);
                var product = addBias ? result.Name + "/product" : result.Name;
                NewNode("MatMul", [Constant(result.Name + "/weight", [_draws, result.Rows, columns], Weight), Convert(activation, Form.Stacked)], product);
                if (addBias) NewNode("Add", [product, Constant(result.Name + "/bias", [_draws, result.Rows, 1], Bias)], result.Name);
            }
            _activations[node.Output[0]] = result;
            return null;
        }

        /// <summary>Flatten (axis 1) or Reshape to [0 or −1, N] of a 2-D activation: nothing to do.</summary>
        private string? KeepRows(NodeProto node)
        {
            if (!_activations.TryGetValue(node.Input[0], out var activation)) return "its data is not an activation of the chain";
            if (node.OpType == "Flatten")
            {
                if ((NodeAttributes.Int(node, "axis") ?? 1) is not (1 or -1)) return "axis is not 1";
            }
            else
            {
                if (!_initializers.TryGetValue(node.Input[1], out var shapeTensor) || (NodeAttributes.Int(node, "allowzero") ?? 0) != 0)
                    return "its shape is not a constant";
                var target = TensorData.ReadInt64s(null, shapeTensor);
                if (target.Length != 2 || target[0] is not (0 or -1) || (target[1] != activation.Features && !(target[0] == 0 && target[1] == -1)))
                    return $"the shape [{string.Join(", ", target)}] does not keep [rows, {activation.Features}]";
            }
            _activations[node.Output[0]] = activation;
            return null;
        }

        /// <summary>Softmax or LogSoftmax over the features (axis 1 or −1 of the 2-D activation), in batch-major form.</summary>
        private string? Softmax(NodeProto node)
        {
            if (!_activations.TryGetValue(node.Input[0], out var activation)) return "its input is not an activation of the chain";
            if ((NodeAttributes.Int(node, "axis") ?? -1) is not (1 or -1)) return "axis is not the last";
            var name = Prefix + node.Output[0];
            NewNode(node.OpType, [Convert(activation, Form.BatchMajor)], name, Attr.Int("axis", -1));
            _activations[node.Output[0]] = activation with { Name = name, Form = Form.BatchMajor };
            return null;
        }

        /// <summary>An elementwise op of one activation (its other inputs draw-independent: Clip bounds, Dropout ratio).</summary>
        private string? Unary(NodeProto node)
        {
            if (!_activations.TryGetValue(node.Input[0], out var activation)) return "its input is not an activation of the chain";
            if (!node.Input.Skip(1).All(Shared.Contains)) return "an input other than the first depends on the draw";
            var copy = node.Clone();
            copy.Name = node.Name.Length > 0 ? Prefix + node.Name : "";
            copy.Input[0] = activation.Name;
            copy.Output[0] = Prefix + node.Output[0];
            Nodes.Add(copy);
            _activations[node.Output[0]] = activation with { Name = copy.Output[0] };
            return null;
        }

        /// <summary>
        /// A binary elementwise op of two activations (same features), or of an activation and a weight that broadcasts
        /// per feature (one value or N, each draw's own or shared), laid out like the activation.
        /// </summary>
        private string? Binary(NodeProto node)
        {
            var name = Prefix + node.Output[0];
            var inputs = new string[2];
            var a = _activations.TryGetValue(node.Input[0], out var left);
            var b = _activations.TryGetValue(node.Input[1], out var right);
            Activation result;
            if (a && b)
            {
                if (left.Features != right.Features) return "its operands have different feature counts";
                var form = left.Form == right.Form ? left.Form : Form.Stacked;
                (inputs[0], inputs[1]) = (Convert(left, form), Convert(right, form));
                result = left with { Name = name, Form = form };
            }
            else if (a || b)
            {
                var activation = a ? left : right;
                var other = node.Input[a ? 1 : 0];
                var n = activation.Features;
                if (!IsPerFeature(other, n)) return $"'{other}' is neither an activation nor one value or {n} values per feature";
                long[] shape = activation.Form switch
                {
                    Form.Wide => [_draws * n, 1],
                    Form.Stacked => [_draws, n, 1],
                    _ => [_draws, 1, n],
                };
                inputs[a ? 0 : 1] = activation.Name;
                inputs[a ? 1 : 0] = Constant(name + "/operand", shape, j => PerFeature(other, n, j));
                result = activation with { Name = name };
            }
            else return "neither input is an activation of the chain";
            NewNode(node.OpType, inputs, name);
            _activations[node.Output[0]] = result;
            return null;
        }

        /// <summary>
        /// The activation in the stacked or batch-major form: a Reshape from wide to stacked ([G·N, B] and [G, N, B] are
        /// the same values), a Transpose between stacked and batch-major (a Reshape where N is 1).
        /// </summary>
        private string Convert(Activation activation, Form form)
        {
            if (activation.Form == form) return activation.Name;
            if (form == Form.Wide) throw new InvalidOperationException("The chain never goes back to the wide form.");
            if (_converted.TryGetValue((activation.Name, form), out var done)) return done;
            if (activation.Ones && form == Form.BatchMajor) throw new InvalidOperationException("A ones row only feeds later layers.");
            var n = activation.Features;
            var name = $"{activation.Name}/{form}";
            if (activation.Form == Form.Wide)
            {
                var stacked = $"{activation.Name}/{Form.Stacked}";
                NewNode("Reshape", [activation.Name, Shape(stacked, [_draws, activation.Rows, -1])], stacked);
                _converted[(activation.Name, Form.Stacked)] = stacked;
                if (form == Form.Stacked) return stacked;
                name = Convert(activation with { Name = stacked, Form = Form.Stacked }, form);
            }
            else if (n == 1) NewNode("Reshape", [activation.Name, Shape(name, form == Form.Stacked ? [_draws, 1, -1] : [_draws, -1, 1])], name);
            else NewNode("Transpose", [activation.Name], name, Attr.Ints("perm", [0, 2, 1]));
            _converted[(activation.Name, form)] = name;
            return name;
        }

        /// <summary>Renames a value the chain wrote (the output) everywhere it appears.</summary>
        private void RenameValue(string from, string to)
        {
            foreach (var node in Nodes)
            {
                for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
                for (var i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
            }
        }

        private NodeProto NewNode(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = output, Input = { inputs }, Output = { output } };
            node.Attribute.Add(attributes);
            Nodes.Add(node);
            return node;
        }

        /// <summary>A float constant of the G draws' values (draw j's block from <paramref name="perDraw"/>), concatenated.</summary>
        private string Constant(string name, long[] shape, Func<int, float[]> perDraw)
        {
            if (_thetas is null) return name;
            var count = checked((int)(shape.Aggregate(1L, (x, d) => x * d) / _draws));
            var values = new float[checked(count * _draws)];
            for (var j = 0; j < _draws; j++) perDraw(j).AsSpan(0, count).CopyTo(values.AsSpan(j * count));
            Initializers.Add(TensorData.FromFloats(name, shape, values));
            return name;
        }

        private string Shape(string name, long[] dims)
        {
            Initializers.Add(TensorData.FromInt64s(name + "/shape", [dims.Length], dims));
            return name + "/shape";
        }

        /// <summary>A θ tensor (each draw its own) or a float initializer (the same for every draw).</summary>
        private bool IsWeight(string name) => _viewByName.ContainsKey(name) ||
            (_initializers.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float);

        private long[] WeightShape(string name) => _viewByName.TryGetValue(name, out var v) ? v.Shape : _initializers[name].Dims.ToArray();

        /// <summary>A weight that broadcasts against [B, N] per feature: one value or N, of rank at most 2 with leading 1.</summary>
        private bool IsPerFeature(string name, long n)
        {
            if (!IsWeight(name)) return false;
            var shape = WeightShape(name);
            var count = shape.Aggregate(1L, (x, d) => x * d);
            return shape.Length <= 2 && (shape.Length < 2 || shape[0] == 1) && (count == 1 || (count == n && shape[^1] == n));
        }

        /// <summary>Draw j's N values of a per-feature weight (one value repeated N times).</summary>
        private float[] PerFeature(string name, long n, int j)
        {
            var values = DrawValues(name, j);
            return values.Length == n ? values : Enumerable.Repeat(values[0], (int)n).ToArray();
        }

        private float[] DrawValues(string name, int j) => _viewByName.TryGetValue(name, out var view)
            ? _thetas![j].AsSpan(view.Offset, (int)view.Length).ToArray()
            : TensorData.ReadFloats(null, _initializers[name]);
    }
}
