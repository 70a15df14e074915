using OnnxRay.Onnx.Autodiff.Rules;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// Post-pass over a finished CPU density graph: a standard 2-D, ungrouped float Conv whose filter is not a constant (a θ
/// view, or a filter computed in the graph such as the flipped one of a Conv input gradient) becomes ORT's blocked
/// NCHWc Conv (<see cref="NchwcKernels"/>), which ORT itself only uses for constant filters. The filter is reordered in
/// the graph to the layout MLAS expects, output channels padded with zeros to the block B:
///   C_in &lt; B:       input stays NCHW, filter OIHWBo   = [O/B, I, kh, kw, B_o];
///   C_in % B == 0:  ReorderInput, filter OIHWBiBo = [O/B, I/B, kh, kw, B_i, B_o];
/// then ReorderOutput back to NCHW under the Conv's output name. A Relu that is the Conv's only consumer is fused into
/// it (activation attribute). Only where it pays (<see cref="Pays"/>).
/// </summary>
public static class NchwcConvLowering
{
    /// <summary>
    /// Below this many output pixels (batch × output height × width) the reorder nodes (about 1 µs each plus the filter
    /// reorder) cost more than the blocked kernel saves. Single-Conv timings, filter as input, one thread: 6→16 channels
    /// on 4×4 gained from 128 pixels (b8) on; 16→16 on 8×8 lost at 128 pixels, gained at 256 and more; the 16→16
    /// input-gradient form lost at 256 and gained at 512.
    /// </summary>
    public const long MinOutputPixels = 512;

    /// <summary>
    /// Padding the output channels to the block costs its share of multiply-adds: 12 of 16 real channels gained
    /// (16→12 forward, 30–50 %), 6 of 16 lost on 8×8 maps (input-gradient form 16→6 at batch 64: +30 %).
    /// </summary>
    private const double MaxPaddedChannelRatio = 1.5;

    /// <summary>
    /// Whether a 2-D group-1 float Conv from <paramref name="inputChannels"/> to <paramref name="outputChannels"/> with
    /// <paramref name="outputPixels"/> output pixels runs faster lowered than on ORT's im2col Conv. One input channel
    /// stays: im2col over k² rows is already cheap there (1→16 on 8×8 at batch 256: +20 % lowered).
    /// </summary>
    public static bool Pays(long inputChannels, long outputChannels, long outputPixels, int block)
    {
        bool channelsFit = inputChannels is > 1 && (inputChannels < block || inputChannels % block == 0);
        return channelsFit && outputPixels >= MinOutputPixels && PaddedChannels(outputChannels, block) <= MaxPaddedChannelRatio * outputChannels;
    }

    /// <summary>Lowers every Conv of <paramref name="emitter"/>'s graph that qualifies; returns how many.</summary>
    public static int Apply(GraphEmitter emitter, int block)
    {
        var graph = emitter.Graph;
        var constants = graph.Initializer.Select(i => i.Name)
            .Concat(graph.Node.Where(n => n.OpType == "Constant").SelectMany(n => n.Output))
            .ToHashSet(StringComparer.Ordinal);
        var consumers = ValueConsumers.Of(graph);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

        // The nodes are appended again in order; the emitter appends each lowered Conv's nodes in its place.
        var original = graph.Node.ToList();
        graph.Node.Clear();
        var fusedRelus = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        int count = 0;
        foreach (var node in original)
        {
            if (fusedRelus.Contains(node)) continue;
            if (Plan(emitter, node, constants, block) is not { } plan)
            {
                graph.Node.Add(node);
                continue;
            }
            // Relu fused only when nothing else reads the pre-activation value.
            var output = node.Output[0];
            NodeProto? relu = null;
            if (!graphOutputs.Contains(output) && consumers[output].ToArray() is [var only] && original[only] is { OpType: "Relu", Domain: "" or "ai.onnx" } reader)
                relu = reader;
            if (relu is not null) fusedRelus.Add(relu);
            Emit(emitter, node, plan, relu?.Output[0], block);
            count++;
        }
        return count;
    }

    private sealed record LoweringPlan(long[] InputShape, long[] FilterShape, long[] OutputShape, ConvGeometry Geometry);

    private static LoweringPlan? Plan(GraphEmitter emitter, NodeProto node, HashSet<string> constants, int block)
    {
        if (node.OpType != "Conv" || node.Domain is not ("" or "ai.onnx") || node.Output.Count != 1 || node.Input.Count < 2) return null;
        var view = new NodeView(node, 0);
        if (view.GetInt("group", 1) != 1 || constants.Contains(view.Input(1))) return null;
        if (emitter.Types.Find(view.Input(0)) is not { Shape.Length: 4, ElementType: OnnxType.Float } x
            || emitter.Types.Find(view.Input(1)) is not { Shape.Length: 4 } w) return null;
        var outputSpatial = OutputSpatial(view, x.Shape[2..], w.Shape[2..]);
        var geometry = ConvGeometry.ForWindowOp(view, w.Shape[2..], x.Shape[2..], outputSpatial);
        if (geometry.Pads.Any(p => p < 0)) return null;
        long[] outputShape = [x.Shape[0], w.Shape[0], .. outputSpatial];
        return Pays(x.Shape[1], w.Shape[0], x.Shape[0] * outputSpatial[0] * outputSpatial[1], block)
            ? new LoweringPlan(x.Shape, w.Shape, outputShape, geometry)
            : null;
    }

    /// <summary>Output height and width as ONNX defines them (SAME_*: ⌈in / stride⌉).</summary>
    private static long[] OutputSpatial(NodeView node, long[] input, long[] kernel)
    {
        var strides = node.GetInts("strides") ?? [1, 1];
        var dilations = node.GetInts("dilations") ?? [1, 1];
        var pads = node.GetInts("pads") is { Length: 4 } p ? p : new long[4];
        var autoPad = node.GetString("auto_pad", "NOTSET");
        var output = new long[2];
        for (int i = 0; i < 2; i++)
            output[i] = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => (input[i] + strides[i] - 1) / strides[i],
                "VALID" => (input[i] - (kernel[i] - 1) * dilations[i] - 1) / strides[i] + 1,
                _ => (input[i] + pads[i] + pads[i + 2] - (kernel[i] - 1) * dilations[i] - 1) / strides[i] + 1,
            };
        return output;
    }

    private static void Emit(GraphEmitter emitter, NodeProto conv, LoweringPlan plan, string? reluOutput, int block)
    {
        long channelsIn = plan.InputShape[1], channelsOut = plan.FilterShape[0];
        long padded = PaddedChannels(channelsOut, block);
        long taps = plan.FilterShape[2] * plan.FilterShape[3];
        long[] blockedShape = [padded, channelsIn, plan.FilterShape[2], plan.FilterShape[3]];
        long[] blockedOutput = [plan.OutputShape[0], padded, .. plan.OutputShape[2..]];

        string Add(string opType, string domain, IReadOnlyList<string> inputs, long[] shape, params AttributeProto[] attributes) =>
            emitter.DomainOp(domain, opType, inputs, shape, OnnxType.Float, attributes);

        string filter = conv.Input[1];
        if (padded > channelsOut)
            filter = Add("Concat", "", [filter, emitter.Const(Zeros([padded - channelsOut, channelsIn, .. plan.FilterShape[2..]]))], blockedShape,
                Attr.Int("axis", 0));
        // OIHWBo: [O/B, B_o, I·k] → [O/B, I·k, B_o]; OIHWBiBo: [O/B, B_o, I/B, B_i, k] → [O/B, I/B, k, B_i, B_o].
        filter = channelsIn < block
            ? Add("Transpose", "", [Add("Reshape", "", [filter, emitter.ConstInt64(padded / block, block, channelsIn * taps)], [padded / block, block, channelsIn * taps])],
                [padded / block, channelsIn * taps, block], Attr.Ints("perm", [0, 2, 1]))
            : Add("Transpose", "", [Add("Reshape", "", [filter, emitter.ConstInt64(padded / block, block, channelsIn / block, block, taps)],
                    [padded / block, block, channelsIn / block, block, taps])],
                [padded / block, channelsIn / block, taps, block, block], Attr.Ints("perm", [0, 2, 4, 3, 1]));
        filter = Add("Reshape", "", [filter, emitter.ConstInt64(blockedShape)], blockedShape);

        var input = conv.Input[0];
        if (channelsIn >= block) input = Add("ReorderInput", NchwcKernels.Domain, [input], plan.InputShape);
        List<string> inputs = [input, filter];
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
            inputs.Add(padded > channelsOut
                ? Add("Concat", "", [conv.Input[2], emitter.Const(Zeros([padded - channelsOut]))], [padded], Attr.Int("axis", 0))
                : conv.Input[2]);
        var g = plan.Geometry;
        var attributes = new List<AttributeProto>
        {
            Attr.Ints("kernel_shape", g.Kernel), Attr.Ints("strides", g.Strides), Attr.Ints("dilations", g.Dilations),
            Attr.Ints("pads", g.Pads), Attr.Int("group", 1),
        };
        if (reluOutput is not null) attributes.Add(Attr.String("activation", "Relu"));
        var blocked = Add("Conv", NchwcKernels.Domain, inputs, blockedOutput, [.. attributes]);

        var reorder = new NodeProto { OpType = "ReorderOutput", Domain = NchwcKernels.Domain, Name = emitter.Names.Next("ReorderOutput") };
        reorder.Input.Add(blocked);
        reorder.Output.Add(reluOutput ?? conv.Output[0]);
        reorder.Attribute.Add(Attr.Int("channels", channelsOut));
        emitter.Graph.Node.Add(reorder);
    }

    private static long PaddedChannels(long channels, int block) => (channels + block - 1) / block * block;

    private static TensorProto Zeros(long[] shape) => TensorData.FromFloats("", shape, new float[shape.Aggregate(1L, (a, d) => a * d)]);
}
