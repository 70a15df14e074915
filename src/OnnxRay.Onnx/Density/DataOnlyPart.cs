using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// The nodes of a density graph that depend only on the data inputs and constants (<see cref="DataOnlyAnalysis"/>),
/// e.g. the categorical head's OneHot(target) or a first Conv's patch matrix: <see cref="Split"/> moves them into a
/// "prep" model that a runner evaluates only when the data changes (once for a full batch, once per minibatch or
/// chunk) and whose outputs, the <see cref="Values"/>, the main model then reads as inputs.
/// </summary>
public sealed class DataOnlyPart
{
    /// <summary>Default bound on one hoisted tensor (bytes); a larger one is recomputed in every run instead.</summary>
    public const long DefaultLimitBytes = 256L << 20;

    // Pure views of their input: computing them per run costs about what reading a hoisted copy does.
    private static readonly HashSet<string> ViewOps = new(StringComparer.Ordinal)
    {
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Shape", "Size", "Constant",
    };

    private readonly HashSet<int> _hoisted; // indices into the density graph's node list
    private readonly HashSet<int> _nodes; // the prep model's: the hoisted ones and the constant-only nodes they read

    private DataOnlyPart(HashSet<int> hoisted, HashSet<int> nodes, IReadOnlyList<DataInput> values, IReadOnlyList<string> inputs)
    {
        _hoisted = hoisted;
        _nodes = nodes;
        Values = values;
        Inputs = inputs;
    }

    /// <summary>The hoisted tensors: outputs of the prep model, extra inputs of the main model.</summary>
    public IReadOnlyList<DataInput> Values { get; }

    /// <summary>The data inputs the prep model reads.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Number of nodes that leave the per-run graph.</summary>
    public int NodeCount => _hoisted.Count;

    /// <summary>
    /// Chooses what to hoist out of <paramref name="model"/> (complete: outputs set): every node computed from the data
    /// alone that is not a mere view op (<see cref="ViewOps"/>, kept in the main graph unless a hoisted node needs it),
    /// none that yields a graph output, and no hoisted tensor above <paramref name="limitBytes"/>. Null when nothing but
    /// views would be hoisted, so small graphs do not pay a second run. <paramref name="typeOf"/> gives a value's static
    /// type (null when unknown: then <paramref name="probe"/>, a shape probe of the data-only nodes on the batch, finds it).
    /// </summary>
    internal static DataOnlyPart? Plan(ModelProto model, IReadOnlyList<DataInput> dataInputs, Func<string, StaticValue?> typeOf, long limitBytes,
        Func<ModelProto, ValueInfoTable> probe)
    {
        if (limitBytes <= 0) return null;
        var graph = model.Graph;
        var analysis = DataOnlyAnalysis.Compute(graph, dataInputs.Select(d => d.Name));
        var nodes = graph.Node;
        bool Hoistable(NodeProto n) => n.Output.Any(analysis.IsFromData) && !ViewOps.Contains(n.OpType);
        if (!nodes.Any(Hoistable)) return null;

        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = ValueConsumers.Of(graph);

        ValueInfoTable? probed = null;
        StaticValue TypeOf(string value)
        {
            if (typeOf(value) is { } t) return t;
            probed ??= probe(DataOnlyModel(model, analysis, dataInputs));
            return probed.Find(value) ?? throw new InvalidOperationException($"no static shape is known for the data-only value '{value}'.");
        }

        // Backwards, so each node's consumers are placed first. A data-only node goes to the prep model when it computes
        // something (or feeds the prep model), yields no graph output and each of its outputs that the per-run graph reads
        // fits the limit; one that does not fit but feeds the prep model runs in both.
        var inPrep = new bool[nodes.Count];
        var inMain = new bool[nodes.Count];
        bool ReadPerRun(string value) => consumers[value].Any(j => inMain[j]);
        bool Fits(string value) => TypeOf(value) is var t && t.ElementCount * TensorData.ElementSize(t.ElementType) <= limitBytes;
        for (var k = nodes.Count - 1; k >= 0; k--)
        {
            var node = nodes[k];
            inMain[k] = true;
            if (!node.Output.Any(analysis.IsFromData) || node.Output.Any(graphOutputs.Contains)) continue;
            var feedsPrep = node.Output.Any(o => consumers[o].Any(j => inPrep[j]));
            if (ViewOps.Contains(node.OpType) && !feedsPrep) continue;
            inPrep[k] = true;
            inMain[k] = !node.Output.Where(o => o.Length > 0 && ReadPerRun(o)).All(Fits);
        }
        if (!Enumerable.Range(0, nodes.Count).Any(k => inPrep[k] && !inMain[k] && !ViewOps.Contains(nodes[k].OpType))) return null;

        var values = new List<DataInput>();
        var inputs = new List<string>();
        var set = new HashSet<int>();
        var dataNames = dataInputs.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var produced = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var k = 0; k < nodes.Count; k++)
            foreach (var o in nodes[k].Output)
                if (o.Length > 0) produced[o] = k;
        // The prep nodes and the constant-only nodes they read (which stay in the main graph as well, where it reads them).
        void Take(int k)
        {
            if (!set.Add(k)) return;
            foreach (var input in nodes[k].Input)
            {
                if (input.Length == 0) continue;
                if (produced.TryGetValue(input, out var p) && (inPrep[p] || analysis.IsConstant(input))) Take(p);
                else if (dataNames.Contains(input) && !inputs.Contains(input)) inputs.Add(input);
            }
        }
        for (var k = 0; k < nodes.Count; k++)
            if (inPrep[k]) Take(k);
        for (var k = 0; k < nodes.Count; k++)
            if (inPrep[k] && !inMain[k])
                foreach (var o in nodes[k].Output)
                    if (o.Length > 0 && ReadPerRun(o))
                    {
                        var t = TypeOf(o);
                        values.Add(new DataInput(o, t.ElementType, t.Shape));
                    }
        return new DataOnlyPart(Enumerable.Range(0, nodes.Count).Where(k => !inMain[k]).ToHashSet(), set, values, inputs);
    }

    /// <summary>
    /// The prep model (data inputs → <see cref="Values"/>) and the main model (<paramref name="model"/> without the
    /// hoisted nodes and without what only they read, the <see cref="Values"/> as extra inputs; its other inputs and
    /// outputs unchanged).
    /// </summary>
    public (ModelProto Prep, ModelProto Main) Split(ModelProto model)
    {
        var graph = model.Graph;
        var prep = new ModelProto { IrVersion = model.IrVersion, Graph = new GraphProto { Name = graph.Name + "_data_only" } };
        prep.OpsetImport.AddRange(model.OpsetImport.Where(o => o.Domain != NchwcKernels.Domain || _nodes.Any(k => graph.Node[k].Domain == o.Domain)).Select(o => o.Clone()));
        prep.Graph.Node.AddRange(_nodes.Order().Select(k => graph.Node[k].Clone()));
        foreach (var name in Inputs) prep.Graph.Input.Add(graph.Input.First(i => i.Name == name).Clone());
        foreach (var v in Values) prep.Graph.Output.Add(ThetaRewriter.TensorInput(v.Name, v.ElementType, v.Shape));
        var prepReads = prep.Graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        prep.Graph.Initializer.AddRange(graph.Initializer.Where(i => prepReads.Contains(i.Name)).Select(i => i.Clone()));

        // Main: every node but the hoisted ones, less those whose outputs nothing live reads any more (backwards).
        var live = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var kept = new List<NodeProto>();
        for (var k = graph.Node.Count - 1; k >= 0; k--)
        {
            var node = graph.Node[k];
            if (_hoisted.Contains(k) || !node.Output.Any(live.Contains)) continue;
            kept.Add(node);
            foreach (var input in node.Input) live.Add(input);
        }
        kept.Reverse();
        var main = model.Clone();
        main.Graph.Node.Clear();
        main.Graph.Node.AddRange(kept.Select(n => n.Clone()));
        foreach (var v in Values) main.Graph.Input.Add(ThetaRewriter.TensorInput(v.Name, v.ElementType, v.Shape));
        var inputs = main.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = main.Graph.Initializer.Count - 1; i >= 0; i--)
            if (!live.Contains(main.Graph.Initializer[i].Name) && !inputs.Contains(main.Graph.Initializer[i].Name))
                main.Graph.Initializer.RemoveAt(i);
        return (prep, main);
    }

    /// <summary>The data-only nodes of <paramref name="model"/> alone (for a shape probe of their values).</summary>
    private static ModelProto DataOnlyModel(ModelProto model, DataOnlyAnalysis analysis, IReadOnlyList<DataInput> dataInputs)
    {
        var probe = model.Clone();
        var g = probe.Graph;
        g.Node.Clear();
        var data = dataInputs.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = g.Input.Count - 1; i >= 0; i--)
            if (!data.Contains(g.Input[i].Name)) g.Input.RemoveAt(i);
        g.Node.AddRange(model.Graph.Node.Where(n => n.Output.Any(o => analysis.IsFromData(o) || analysis.IsConstant(o))).Select(n => n.Clone()));
        g.Output.Clear();
        var read = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        for (var i = g.Initializer.Count - 1; i >= 0; i--)
            if (!read.Contains(g.Initializer[i].Name)) g.Initializer.RemoveAt(i);
        return probe;
    }
}
