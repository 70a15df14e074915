using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>Which graphs can hold several draws side by side, and what the copies share.</summary>
public sealed class DrawGroupGraphTests
{
    [Fact]
    public void A_graph_with_a_subgraph_or_a_passed_through_output_keeps_one_draw_per_session()
    {
        var plain = new GraphProto();
        plain.Node.Add(new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "y" } });
        Assert.True(DrawGroupGraph.CanReplicate(plain, "y"));
        Assert.False(DrawGroupGraph.CanReplicate(plain, "x"));

        var withIf = plain.Clone();
        withIf.Node.Add(new NodeProto
        {
            OpType = "If", Input = { "c" }, Output = { "z" },
            Attribute = { new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = new GraphProto() } },
        });
        Assert.False(DrawGroupGraph.CanReplicate(withIf, "y"));
    }

    [Fact]
    public void Copies_share_the_data_inputs_and_own_their_nodes_weights_and_outputs()
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx")));
        var layout = ParameterLayout.FromModel(model);
        var graph = PredictionGraph.Build(model, layout, DensityOptions.Parse("categorical", "none").Likelihood, null);
        var theta = layout.ReadInitialTheta(model);
        var proto = ModelProto.Parser.ParseFrom(graph.ToBytesWithDraws([theta, theta, theta])).Graph;

        Assert.Equal(graph.DataInputs.Select(d => d.Name), proto.Input.Select(i => i.Name));
        Assert.Equal(Enumerable.Range(0, 3).Select(j => DrawGroupGraph.OutputName(graph.OutputName, j)), proto.Output.Select(o => o.Name));
        Assert.Equal(3 * graph.Proto.Graph.Node.Count, proto.Node.Count);
        Assert.Equal(3 * graph.ParameterInputs.Length + graph.Proto.Graph.Initializer.Count, proto.Initializer.Count);
        // Every value is produced once: no copy writes another's names.
        var produced = proto.Node.SelectMany(n => n.Output).ToList();
        Assert.Equal(produced.Count, produced.Distinct().Count());
    }
}
