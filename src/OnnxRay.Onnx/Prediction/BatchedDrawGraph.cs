using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Several draws in one ONNX graph, with the layers that read only the shared data run once for the whole group:
/// a Conv (group 1) whose input does not depend on the draw gets the G draws' filters and biases concatenated along
/// its output channels, so one im2col and one wider GEMM replace G small ones, and its activations stay
/// channel-stacked (<c>[N, G·C, …]</c>) through the channelwise ops that follow (<see cref="ChannelStackedOps"/>:
/// activations, pooling, BatchNormalization with concatenated parameters). Where anything else reads a stacked value,
/// one Split hands each draw its channels and the rest of the graph runs as renamed per-draw copies, as in
/// <see cref="DrawGroupGraph"/> (same output names). Why not further (digits_cnn, 8 draws, one thread): batching the
/// whole graph (the second Conv grouped, the Gemms as one batched MatMul, Split Gemms or a grouped 1×1 Conv) ran
/// 0.88–1.0× of plain forwards at batch 32 but 1.21–1.35× at batch 256, where ORT ran the grouped Conv per group in
/// NCHW instead of its blocked kernel (5.5 ms against 4.2 ms for 8 separate Convs); stacking only the first Conv
/// ran 0.66–0.76× and 0.78–0.82×. A stacked first Gemm (boston_mlp) lost to copies at batch 256 (1.13× against 0.89×).
/// </summary>
internal static class BatchedDrawGraph
{
    private const string StackedPrefix = "onnxray_stacked/";

    /// <summary>The channel count per draw and rank of a stacked value.</summary>
    private readonly record struct Stacked(long Channels, int Rank);

    /// <summary>
    /// Why <paramref name="graph"/> gains nothing from batching (no Conv reads draw-independent data with sampled
    /// filters, or the output does not depend on the draw), or null when <see cref="Build"/> applies.
    /// </summary>
    public static string? WhyNot(GraphProto graph, IReadOnlyList<ThetaView> views, string output)
    {
        var plan = Plan(graph, views);
        if (plan.Shared.Contains(output)) return $"the output '{output}' does not depend on the sampled weights";
        return plan.Stacked.Count == 0 ? "no Conv (group 1) reads draw-independent data with sampled filters" : null;
    }

    /// <summary>
    /// <paramref name="model"/> (θ tensors as the inputs <paramref name="views"/>) holding the draws
    /// <paramref name="thetas"/>, with outputs <see cref="DrawGroupGraph.OutputName"/>(output, j). Call only where
    /// <see cref="WhyNot"/> is null.
    /// </summary>
    public static ModelProto Build(ModelProto model, IReadOnlyList<ThetaView> views, IReadOnlyList<float[]> thetas, string output)
    {
        var source = model.Graph;
        var plan = Plan(source, views);
        if (plan.Shared.Contains(output) || plan.Stacked.Count == 0) throw new InvalidOperationException(WhyNot(source, views, output));
        var viewByName = views.ToDictionary(v => v.InputName, StringComparer.Ordinal);
        var initializers = source.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var draws = thetas.Count;

        var result = model.Clone();
        var graph = result.Graph;
        graph.Node.Clear();
        graph.Input.Clear();
        graph.Input.Add(source.Input.Where(i => !viewByName.ContainsKey(i.Name)));
        graph.Output.Clear();
        graph.ValueInfo.Clear();
        graph.ValueInfo.Add(source.ValueInfo.Where(v => plan.Shared.Contains(v.Name)));

        // A parameter of a stacked node for all draws, concatenated along axis 0 (the output channels): each draw's own
        // slice of θ, or a shared tensor repeated.
        string StackedParameter(NodeProto node, int index)
        {
            var name = node.Input[index];
            var shape = viewByName.TryGetValue(name, out var view) ? view.Shape : initializers[name].Dims.ToArray();
            var shared = view is null ? TensorData.ReadFloats(null, initializers[name]) : null;
            var count = shape.Aggregate(1, (a, d) => checked(a * (int)d));
            var values = new float[checked(draws * count)];
            for (var j = 0; j < draws; j++)
                (view is null ? shared! : thetas[j].AsSpan(view.Offset, count)).CopyTo(values.AsSpan(j * count));
            var stackedName = StackedPrefix + (node.Name.Length > 0 ? node.Name : node.Output[0]) + "/" + index;
            graph.Initializer.Add(TensorData.FromFloats(stackedName, [draws * shape[0], .. shape.Skip(1)], values));
            return stackedName;
        }

        var perDrawNodes = new List<NodeProto>();
        var split = new HashSet<string>(StringComparer.Ordinal);
        void SplitPerDraw(string name)
        {
            if (!plan.Stacked.TryGetValue(name, out var stacked) || !split.Add(name)) return;
            var sizes = StackedPrefix + "split/" + name + "/sizes";
            graph.Initializer.Add(TensorData.FromInt64s(sizes, [draws], Enumerable.Repeat(stacked.Channels, draws).ToArray()));
            var node = new NodeProto { OpType = "Split", Name = StackedPrefix + "split/" + name, Input = { name, sizes } };
            node.Output.Add(Enumerable.Range(0, draws).Select(j => DrawGroupGraph.OutputName(name, j)));
            node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(node);
        }

        foreach (var node in source.Node)
        {
            if (node.Output.All(plan.Shared.Contains))
            {
                graph.Node.Add(node.Clone());
            }
            else if (plan.Stacked.ContainsKey(node.Output[0]))
            {
                var copy = node.Clone();
                // A root Conv's filters and bias, BatchNormalization's per-channel parameters: one tensor for the group.
                if (node.OpType is "Conv" or "BatchNormalization")
                    for (var i = 1; i < node.Input.Count; i++)
                        if (node.Input[i].Length > 0) copy.Input[i] = StackedParameter(node, i);
                graph.Node.Add(copy);
            }
            else
            {
                foreach (var input in node.Input) SplitPerDraw(input);
                perDrawNodes.Add(node);
            }
        }
        SplitPerDraw(output);

        // The rest per draw, one whole copy after the other (each draw's tail then runs on cache-warm activations).
        var perDrawInputs = perDrawNodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var perDrawValueInfo = source.ValueInfo.Where(v => !plan.Shared.Contains(v.Name) && !plan.Stacked.ContainsKey(v.Name)).ToList();
        var outputInfo = source.Output.Single(o => o.Name == output);
        for (var j = 0; j < draws; j++)
        {
            string Rename(string name) => plan.Shared.Contains(name) ? name : DrawGroupGraph.OutputName(name, j);
            foreach (var node in perDrawNodes)
            {
                var copy = node.Clone();
                copy.Name = node.Name.Length == 0 ? "" : DrawGroupGraph.OutputName(node.Name, j);
                for (var i = 0; i < copy.Input.Count; i++) copy.Input[i] = Rename(copy.Input[i]);
                for (var i = 0; i < copy.Output.Count; i++) copy.Output[i] = Rename(copy.Output[i]);
                graph.Node.Add(copy);
            }
            foreach (var info in perDrawValueInfo)
            {
                var copy = info.Clone();
                copy.Name = Rename(info.Name);
                graph.ValueInfo.Add(copy);
            }
            foreach (var v in views.Where(v => perDrawInputs.Contains(v.InputName)))
                graph.Initializer.Add(TensorData.FromFloats(Rename(v.InputName), v.Shape, thetas[j].AsSpan(v.Offset, (int)v.Length)));
            var outputCopy = outputInfo.Clone();
            outputCopy.Name = Rename(output);
            graph.Output.Add(outputCopy);
        }
        return result;
    }

    /// <summary>The draw-independent values (data inputs, unsampled initializers, what only they compute) and the stacked ones.</summary>
    private sealed record StackPlan(HashSet<string> Shared, Dictionary<string, Stacked> Stacked);

    private static StackPlan Plan(GraphProto graph, IReadOnlyList<ThetaView> views)
    {
        var viewByName = views.ToDictionary(v => v.InputName, StringComparer.Ordinal);
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var shared = graph.Input.Select(i => i.Name).Where(n => !viewByName.ContainsKey(n))
            .Concat(initializers.Keys).Append("").ToHashSet(StringComparer.Ordinal);
        var stacked = new Dictionary<string, Stacked>(StringComparer.Ordinal);

        bool IsFloatInitializer(string name, long elements) =>
            initializers.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float && TensorData.ElementCount(t) == elements;
        // A per-channel parameter: each draw's own (a θ view) or one float tensor for all, C values either way.
        bool IsPerChannel(string name, long channels) =>
            viewByName.TryGetValue(name, out var v) ? v.Shape.Length == 1 && v.Shape[0] == channels : IsFloatInitializer(name, channels);

        Stacked? Root(NodeProto node)
        {
            // Conv on draw-independent data with sampled filters [C, Cin, k…] and a sampled, shared or no bias.
            if (node.OpType != "Conv" || node.Domain.Length != 0 || (NodeAttributes.Int(node, "group") ?? 1) != 1) return null;
            if (node.Input.Count < 2 || !shared.Contains(node.Input[0]) || !viewByName.TryGetValue(node.Input[1], out var filters)) return null;
            var channels = filters.Shape[0];
            if (node.Input.Count > 2 && node.Input[2].Length > 0 && !IsPerChannel(node.Input[2], channels)) return null;
            return new Stacked(channels, filters.Shape.Length);
        }

        Stacked? Channelwise(NodeProto node)
        {
            if (!ChannelStackedOps.IsChannelwise(node)) return null;
            Stacked? layout = null;
            var scalarRank = 0;
            for (var i = 0; i < node.Input.Count; i++)
            {
                var name = node.Input[i];
                if (name.Length == 0) continue;
                var role = ChannelStackedOps.Role(node, i);
                if (role == ChannelStackedOps.InputRole.Activation && stacked.TryGetValue(name, out var s))
                {
                    if (layout is { } l && l != s) return null;
                    layout = s;
                }
                else if (role == ChannelStackedOps.InputRole.Activation)
                {
                    // The other side of a binary op: one value for every element and every draw.
                    if (!ChannelStackedOps.IsBinary(node) || !IsFloatInitializer(name, 1)) return null;
                    scalarRank = initializers[name].Dims.Count;
                }
                else if (role == ChannelStackedOps.InputRole.Shared && !shared.Contains(name)) return null;
            }
            // A scalar of higher rank would prepend axes and move the channels off axis 1.
            if (layout is not { } found || scalarRank > found.Rank) return null;
            if (node.OpType == "BatchNormalization" && !node.Input.Skip(1).All(n => IsPerChannel(n, found.Channels))) return null;
            return found;
        }

        foreach (var node in graph.Node)
        {
            if (node.Input.All(shared.Contains))
            {
                foreach (var o in node.Output) shared.Add(o);
                continue;
            }
            if ((Root(node) ?? Channelwise(node)) is { } s) stacked[node.Output[0]] = s;
        }
        return new StackPlan(shared, stacked);
    }
}
