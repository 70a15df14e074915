using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Testing;
using static OnnxRay.Onnx.Tests.TestSupport.TinyModels;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>
/// Dense networks run for a whole group of draws as one chain over a draw axis, with no per-draw nodes, and every draw
/// gets the output of a session holding only that draw; anything else keeps the other group forms.
/// </summary>
public sealed class DenseDrawGraphTests
{
    private const int Draws = 4;

    /// <summary>Float rounding: the stacked GEMMs add the same products, in other blocks.</summary>
    private const double Tolerance = 1e-6;

    private static OnnxModel Bundled(string name) => ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, name + ".onnx")));

    /// <summary>A float input of any number of rows and the given feature dims.</summary>
    private static ValueInfoProto BatchInfo(string name, params long[] features)
    {
        var info = FloatInfo(name, [1, .. features]);
        info.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        return info;
    }

    /// <summary>A float output of unspecified shape.</summary>
    private static ValueInfoProto FloatOutput(string name) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } };

    private static AttributeProto Int(string name, long value) => Autodiff.Attr.Int(name, value);

    /// <summary>
    /// x [B, 2, 3] → Flatten → Gemm (transB) → Tanh → MatMul + Add → LeakyRelu → Mul by a sampled [1, N] scale → Sub from
    /// a constant → Gemm (no transB, [1, N] bias) → Relu → Clip → Reshape [0, −1] → Add of two activations → Gemm to 3
    /// classes → Softmax or LogSoftmax → Mul by a sampled per-class weight.
    /// </summary>
    private static OnnxModel DeepModel(string head = "LogSoftmax", NodeProto[]? extra = null, string output = "y")
    {
        var random = new Random(11);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        NodeProto[] nodes =
        [
            Node("Flatten", ["x"], ["xf"]),
            Node("Gemm", ["xf", "w1", "b1"], ["h1"], Int("transB", 1)),
            Node("Tanh", ["h1"], ["a1"]),
            Node("MatMul", ["a1", "w2"], ["m2"]),
            Node("Add", ["m2", "b2"], ["h2"]),
            Node("LeakyRelu", ["h2"], ["a2"], Autodiff.Attr.Float("alpha", 0.1f)),
            Node("Mul", ["a2", "s2"], ["g2"]),
            Node("Sub", ["k", "g2"], ["t2"]),
            Node("Gemm", ["t2", "w3", "b3"], ["h3"]),
            Node("Relu", ["h3"], ["a3"]),
            Node("Clip", ["a3", "lo", "hi"], ["c3"]),
            Node("Reshape", ["c3", "keep"], ["r3"]),
            Node("Add", ["r3", "h3"], ["s3"]),
            Node("Gemm", ["s3", "w4", "b4"], ["logits"], Int("transB", 1)),
            Node(head, ["logits"], ["p"], Int("axis", -1)),
            Node("Mul", ["p", "cw"], ["y"]),
            .. extra ?? [],
        ];
        var proto = Model(17, nodes, [BatchInfo("x", 2, 3)], [FloatOutput(output)],
        [
            TensorData.FromFloats("w1", [8, 6], Values(48)), TensorData.FromFloats("b1", [8], Values(8)),
            TensorData.FromFloats("w2", [8, 7], Values(56)), TensorData.FromFloats("b2", [7], Values(7)),
            TensorData.FromFloats("s2", [1, 7], Values(7)), TensorData.FromFloats("k", [], [0.25f]),
            TensorData.FromFloats("w3", [7, 5], Values(35)), TensorData.FromFloats("b3", [1, 5], Values(5)),
            TensorData.FromFloats("lo", [], [0f]), TensorData.FromFloats("hi", [], [0.2f]), TensorData.FromInt64s("keep", [2], [0, -1]),
            TensorData.FromFloats("w4", [3, 5], Values(15)), TensorData.FromFloats("b4", [3], Values(3)),
            TensorData.FromFloats("cw", [3], Values(3)), TensorData.FromInt64s("flat", [2], [1, -1]),
        ]);
        return ModelNormalizer.Normalize(new OnnxModel(proto, "deep.onnx", null));
    }

    /// <summary>x [B, 4] → MatMul (the data read directly) → Add → Sigmoid → Gemm to one output.</summary>
    private static OnnxModel MatMulFirstModel()
    {
        var random = new Random(12);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var proto = Model(17,
            [
                Node("MatMul", ["x", "w1"], ["m1"]), Node("Add", ["b1", "m1"], ["h1"]), Node("Sigmoid", ["h1"], ["a1"]),
                Node("Gemm", ["a1", "w2", "b2"], ["y"], Int("transB", 1)),
            ],
            [BatchInfo("x", 4)], [FloatOutput("y")],
            [TensorData.FromFloats("w1", [4, 6], Values(24)), TensorData.FromFloats("b1", [6], Values(6)), TensorData.FromFloats("w2", [1, 6], Values(6)), TensorData.FromFloats("b2", [1], [0.3f])]);
        return ModelNormalizer.Normalize(new OnnxModel(proto, "matmul_first.onnx", null));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(256)]
    public void The_bundled_mlp_runs_as_one_chain_and_every_draw_gets_its_own_sessions_output(int rows)
    {
        var graph = DrawGroupCheck.Check(Bundled("boston_mlp"), batched: true, Draws, Tolerance, rows);
        // Gemm, Relu, Reshape to [G, N + 1, B], MatMul (the bias folded in through the ones row), Reshape to [G, B, 1].
        Assert.Equal(["Gemm", "Relu", "Reshape", "MatMul", "Reshape"], graph.Node.Select(n => n.OpType));
        Assert.Equal([DenseDrawGraph.StackedOutputName("y")], graph.Output.Select(o => o.Name));
    }

    [Theory]
    [InlineData("LogSoftmax")]
    [InlineData("Softmax")]
    public void A_deeper_mlp_with_a_classification_head_matches_one_session_per_draw(string head)
    {
        var graph = DrawGroupCheck.Check(DeepModel(head), batched: true, Draws, Tolerance, rows: 5);
        Assert.Equal(1, graph.Node.Count(n => n.OpType == head));
        Assert.Equal(4, graph.Node.Count(n => n.OpType is "Gemm" or "MatMul"));
        // The Reshape to [0, −1] became nothing, and its shape constant went with it.
        Assert.DoesNotContain(graph.Initializer, i => i.Name == "keep");
    }

    [Fact]
    public void Biases_ride_a_ones_row_through_ops_that_keep_one_and_need_no_add()
    {
        // x [B, 5] → Gemm without bias → LeakyRelu → Flatten → MatMul → Relu → Gemm (no transB) → Elu → Identity → Gemm to 2.
        var random = new Random(14);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var proto = Model(17,
            [
                Node("Gemm", ["x", "w1"], ["h1"], Int("transB", 1)), Node("LeakyRelu", ["h1"], ["a1"]), Node("Flatten", ["a1"], ["f1"]),
                Node("MatMul", ["f1", "w2"], ["h2"]), Node("Relu", ["h2"], ["a2"]),
                Node("Gemm", ["a2", "w3", "b3"], ["h3"]), Node("Elu", ["h3"], ["a3"]), Node("Identity", ["a3"], ["i3"]),
                Node("Gemm", ["i3", "w4", "b4"], ["y"], Int("transB", 1)),
            ],
            [BatchInfo("x", 5)], [FloatOutput("y")],
            [
                TensorData.FromFloats("w1", [6, 5], Values(30)), TensorData.FromFloats("w2", [6, 4], Values(24)),
                TensorData.FromFloats("w3", [4, 4], Values(16)), TensorData.FromFloats("b3", [4], Values(4)),
                TensorData.FromFloats("w4", [2, 4], Values(8)), TensorData.FromFloats("b4", [2], Values(2)),
            ]);
        var graph = DrawGroupCheck.Check(ModelNormalizer.Normalize(new OnnxModel(proto, "ones.onnx", null)), batched: true, Draws, Tolerance, rows: 4);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Add");
        Assert.Equal(4, graph.Node.Count(n => n.OpType is "Gemm" or "MatMul"));
    }

    [Fact]
    public void A_first_matmul_on_two_dimensional_data_is_batched_too()
    {
        var graph = DrawGroupCheck.Check(MatMulFirstModel(), batched: true, Draws, Tolerance, rows: 3);
        Assert.Equal(2, graph.Node.Count(n => n.OpType is "Gemm" or "MatMul"));
    }

    [Fact]
    public void Without_batching_the_mlp_keeps_renamed_copies()
    {
        var graph = DrawGroupCheck.Check(Bundled("boston_mlp"), batched: false, Draws, 0);
        Assert.Equal(Draws * 3, graph.Node.Count);
    }

    [Theory]
    // An op the chain does not know: the group falls back to renamed copies.
    [InlineData("Transpose", "Transpose")]
    // A Reshape that moves rows into features.
    [InlineData("Reshape", "Reshape")]
    public void A_chain_with_an_unknown_op_or_a_row_changing_reshape_keeps_renamed_copies(string op, string culprit)
    {
        var extra = op == "Transpose"
            ? new[] { Node("Transpose", ["y"], ["z"], Autodiff.Attr.Ints("perm", [1, 0])) }
            : [Node("Reshape", ["y", "flat"], ["z"])];
        var model = DeepModel(extra: extra, output: "z");
        var layout = ParameterLayout.FromModel(model);
        var prediction = PredictionGraph.Build(model, layout, DensityOptions.Parse("gaussian:1").Likelihood, null);
        Assert.Contains($"{culprit} node", DenseDrawGraph.WhyNot(prediction.Proto.Graph, ViewsOf(prediction, layout), "z"));
        var graph = DrawGroupCheck.Check(model, batched: true, Draws, 1e-5, rows: 3);
        Assert.Equal(Draws, graph.Output.Count);
    }

    [Fact]
    public void An_mlp_with_costly_later_layers_keeps_renamed_copies()
    {
        // 4 → 80 → 80 → 1: 6,480 multiply-adds per example after the first layer.
        var random = new Random(13);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var proto = Model(17,
            [
                Node("Gemm", ["x", "w1", "b1"], ["h1"], Int("transB", 1)), Node("Relu", ["h1"], ["a1"]),
                Node("Gemm", ["a1", "w2", "b2"], ["h2"], Int("transB", 1)), Node("Relu", ["h2"], ["a2"]),
                Node("Gemm", ["a2", "w3", "b3"], ["y"], Int("transB", 1)),
            ],
            [BatchInfo("x", 4)], [FloatOutput("y")],
            [
                TensorData.FromFloats("w1", [80, 4], Values(320)), TensorData.FromFloats("b1", [80], Values(80)),
                TensorData.FromFloats("w2", [80, 80], Values(6400)), TensorData.FromFloats("b2", [80], Values(80)),
                TensorData.FromFloats("w3", [1, 80], Values(80)), TensorData.FromFloats("b3", [1], [0.1f]),
            ]);
        var model = ModelNormalizer.Normalize(new OnnxModel(proto, "costly.onnx", null));
        var layout = ParameterLayout.FromModel(model);
        var prediction = PredictionGraph.Build(model, layout, DensityOptions.Parse("gaussian:1").Likelihood, null);
        Assert.Contains("6480 multiply-adds", DenseDrawGraph.WhyNot(prediction.Proto.Graph, ViewsOf(prediction, layout), "y"));
        var graph = DrawGroupCheck.Check(model, batched: true, Draws, 1e-5, rows: 3);
        Assert.Equal(Draws * 5, graph.Node.Count);
    }

    [Fact]
    public void The_cnn_keeps_its_stacked_first_conv_and_an_output_without_weights_is_not_batched()
    {
        var cnn = Bundled("digits_cnn");
        var layout = ParameterLayout.FromModel(cnn);
        var prediction = PredictionGraph.Build(cnn, layout, DensityOptions.Parse("categorical").Likelihood, null);
        Assert.Contains("Conv node", DenseDrawGraph.WhyNot(prediction.Proto.Graph, ViewsOf(prediction, layout), prediction.OutputName));
        Assert.False(prediction.StacksDrawOutputs(Draws, batch: true));

        var graph = new GraphProto();
        graph.Input.Add(FloatInfo("x", 2, 3));
        graph.Node.Add(Node("Relu", ["x"], ["y"]));
        graph.Node.Add(Node("Gemm", ["x", "w"], ["z"]));
        Assert.Contains("does not depend", DenseDrawGraph.WhyNot(graph, [new ThetaView("w", 0, [3, 4])], "y"));
        Assert.Null(DenseDrawGraph.WhyNot(graph, [new ThetaView("w", 0, [3, 4])], "z"));
    }

    /// <summary>The θ views of a prediction graph: its parameter inputs, laid out as the layout's tensors.</summary>
    private static ThetaView[] ViewsOf(PredictionGraph prediction, ParameterLayout layout) =>
        layout.Tensors.Where(t => t.IsInitializer).Select(t => new ThetaView(t.Name, (int)t.Offset, t.Shape)).ToArray();
}
