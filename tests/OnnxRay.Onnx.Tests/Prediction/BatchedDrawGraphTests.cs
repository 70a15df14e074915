using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Testing;
using static OnnxRay.Onnx.Tests.TestSupport.TinyModels;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>
/// Draws batched in one graph (a first Conv with stacked filters, channelwise ops on the stacked channels, a Split, per-draw
/// copies of the rest) give every draw the output of a session holding only that draw, for each supported op and where
/// the stacked region ends; graphs without such a Conv keep renamed copies.
/// </summary>
public sealed class BatchedDrawGraphTests
{
    private const int Draws = 3;

    /// <summary>
    /// x [2, 2, 6, 6] → Conv (θ filters [4, 2, 3, 3], θ bias, pads 1) = "c" → <paramref name="body"/> (reads "c", writes "t")
    /// → Conv 1×1 to 3 channels (θ) = "y": the tail Conv reads stacked channels, so a Split must hand each draw its own.
    /// </summary>
    private static OnnxModel ConvModel(NodeProto[] body, params TensorProto[] extraInitializers) => ConvModel(1, body, extraInitializers);

    /// <summary>As above, the first Conv in <paramref name="group"/> groups.</summary>
    private static OnnxModel ConvModel(int group, NodeProto[] body, params TensorProto[] extraInitializers)
    {
        var random = new Random(5);
        float[] Values(int n, float scale) => Enumerable.Range(0, n).Select(_ => scale * (float)(random.NextDouble() - 0.5)).ToArray();
        NodeProto[] nodes =
        [
            Node("Conv", ["x", "w1", "b1"], ["c"], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Autodiff.Attr.Int("group", group)),
            .. body,
            Node("Conv", ["t", "w2", "b2"], ["y"], Ints("kernel_shape", 1, 1)),
        ];
        var proto = Model(18, nodes, [FloatInfo("x", 2, 2, 6, 6)], [new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } }],
        [
            TensorData.FromFloats("w1", [4, 2 / group, 3, 3], Values(72 / group, 1)), TensorData.FromFloats("b1", [4], Values(4, 1)),
            TensorData.FromFloats("w2", [3, 4, 1, 1], Values(12, 1)), TensorData.FromFloats("b2", [3], Values(3, 1)),
            .. extraInitializers,
        ]);
        return ModelNormalizer.Normalize(new OnnxModel(proto, "tiny.onnx", null));
    }

    private static AttributeProto Ints(string name, params long[] values) => Autodiff.Attr.Ints(name, values);

    private static TensorProto Scalar(string name, float value) => TensorData.FromFloats(name, [], [value]);

    public static TheoryData<string> SupportedOps() => new(Bodies.Keys);

    /// <summary>One body per supported op (the node under test is the one whose op names the case).</summary>
    private static readonly Dictionary<string, (NodeProto[] Body, TensorProto[] Initializers)> Bodies = new()
    {
        ["Relu"] = ([Node("Relu", ["c"], ["t"])], []),
        ["LeakyRelu"] = ([Node("LeakyRelu", ["c"], ["t"], Autodiff.Attr.Float("alpha", 0.2f))], []),
        ["Sigmoid"] = ([Node("Sigmoid", ["c"], ["t"])], []),
        ["Tanh"] = ([Node("Tanh", ["c"], ["t"])], []),
        ["Clip"] = ([Node("Clip", ["c", "lo", "hi"], ["t"])], [Scalar("lo", -0.1f), Scalar("hi", 0.3f)]),
        ["Dropout"] = ([Node("Dropout", ["c"], ["t"])], []),
        ["Add"] = ([Node("Add", ["c", "k"], ["t"])], [Scalar("k", 0.25f)]),
        ["Mul"] = ([Node("Mul", ["k", "c"], ["t"])], [Scalar("k", -1.5f)]), // the scalar on the left
        ["Sub"] = ([Node("Relu", ["c"], ["r"]), Node("Sub", ["c", "r"], ["t"])], []), // two stacked operands
        ["MaxPool"] = ([Node("MaxPool", ["c"], ["t"], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2))], []),
        ["AveragePool"] = ([Node("AveragePool", ["c"], ["t"], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1))], []),
        ["GlobalAveragePool"] = ([Node("GlobalAveragePool", ["c"], ["t"])], []),
        // Scale and bias are sampled, the running statistics are not (one shared tensor repeated for every draw).
        ["BatchNormalization"] = ([Node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["t"])],
            [TensorData.FromFloats("scale", [4], [1f, 0.5f, 2f, -1f]), TensorData.FromFloats("bias", [4], [0.1f, 0f, -0.2f, 0.3f]),
             TensorData.FromFloats("mean", [4], [0.05f, -0.1f, 0f, 0.2f]), TensorData.FromFloats("var", [4], [1f, 0.5f, 2f, 0.25f])]),
    };

    [Theory]
    [MemberData(nameof(SupportedOps))]
    public void A_supported_op_runs_once_for_the_group_and_every_draw_gets_its_own_sessions_output(string op)
    {
        var (body, initializers) = Bodies[op];
        var graph = Check(ConvModel(body, initializers), batched: true);
        Assert.Equal(1, graph.Node.Count(n => n.OpType == op));
        Assert.Equal(1, graph.Node.Count(n => n.OpType == "Split"));
        Assert.Equal(1 + Draws, graph.Node.Count(n => n.OpType == "Conv")); // the stacked first Conv and each draw's tail
    }

    [Fact]
    public void The_bundled_cnn_stacks_its_first_conv_and_pool_and_matches_one_session_per_draw()
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx")));
        var graph = Check(model, batched: true);
        // Conv, Relu, MaxPool once; Conv, Relu, MaxPool, Flatten, Gemm, Relu, Gemm per draw.
        Assert.Equal(3 + 1 + 7 * Draws, graph.Node.Count);
    }

    [Theory]
    // A channel-mixing op after the stacked Conv: the stacked region ends before it.
    [InlineData("Softmax")]
    // A per-channel (non-scalar) shared operand would broadcast over the stacked channels: not stacked.
    [InlineData("AddPerChannel")]
    // A one-element operand of higher rank prepends an axis, so the channels leave axis 1: not stacked.
    [InlineData("AddRank5Scalar")]
    public void The_stacked_region_ends_where_an_op_would_see_other_draws_channels(string body)
    {
        var model = body switch
        {
            "Softmax" => ConvModel([Node("Softmax", ["c"], ["t"], Autodiff.Attr.Int("axis", 1))]),
            "AddPerChannel" => ConvModel([Node("Add", ["c", "k"], ["t"])], TensorData.FromFloats("k", [4, 1, 1], [1f, -1f, 0.5f, 2f])),
            _ => ConvModel([Node("Add", ["c", "k"], ["a"]), Node("Squeeze", ["a", "axis0"], ["t"])],
                TensorData.FromFloats("k", [1, 1, 1, 1, 1], [0.5f]), TensorData.FromInt64s("axis0", [1], [0])),
        };
        var graph = Check(model, batched: true);
        Assert.Equal(Draws, graph.Node.Count(n => n.OpType is "Softmax" or "Add"));
        Assert.Equal(1, graph.Node.Count(n => n.OpType == "Split"));
    }

    [Fact]
    public void A_graph_without_a_stackable_conv_keeps_renamed_copies()
    {
        var model = ConvModel(2, [Node("Relu", ["c"], ["t"])]); // the first Conv has group 2
        var graph = Check(model, batched: true);
        var plain = Check(model, batched: false);
        Assert.Equal(plain.Node.Select(n => n.OpType), graph.Node.Select(n => n.OpType));
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Split");
    }

    [Fact]
    public void An_output_that_does_not_depend_on_the_draw_is_not_batched()
    {
        var graph = new GraphProto();
        graph.Input.Add(FloatInfo("x", 2, 2, 6, 6));
        graph.Node.Add(Node("Relu", ["x"], ["y"]));
        graph.Node.Add(Node("Conv", ["x", "w"], ["z"]));
        Assert.Contains("does not depend", BatchedDrawGraph.WhyNot(graph, [new ThetaView("w", 0, [4, 2, 3, 3])], "y"));
        Assert.Null(BatchedDrawGraph.WhyNot(graph, [new ThetaView("w", 0, [4, 2, 3, 3])], "z"));
    }

    /// <summary>Each draw's output against a session of that draw alone (relative 1e-5); the group graph.</summary>
    private static GraphProto Check(OnnxModel model, bool batched) => DrawGroupCheck.Check(model, batched, Draws, 1e-5);
}
