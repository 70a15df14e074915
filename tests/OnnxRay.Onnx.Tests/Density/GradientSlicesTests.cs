using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// The gradient leaves the graph as one output per parameter tensor (bound to its slice of the flat gradient) and is
/// completed on the host: unwritten ranges zeroed, the prior's −w·p·θ added per segment, on every run.
/// </summary>
public class GradientSlicesTests
{
    [Fact]
    public void Complete_zeroes_unwritten_ranges_and_adds_the_prior_per_segment_on_every_run()
    {
        // θ = [a a | b b b | c]: the graph writes a and c; b has no gradient output; priors −w/σ² = −w·2 on a+b, −w·0.5 on c.
        var slices = new GradientSlices(
            [new GradientSlice("ga", 0, [2]), new GradientSlice("gc", 5, [])],
            [(2, 3)],
            [new CoefficientSegment(0, 5, 0, -2.0), new CoefficientSegment(5, 1, 0, -0.5)]);
        float[] theta = [1f, -2f, 3f, 0.5f, -1f, 4f];
        var gradient = new float[6];
        for (var run = 0; run < 2; run++)
        {
            // What the graph would write into its slices; the unwritten range holds the previous run's result.
            gradient[0] = 10f; gradient[1] = 20f; gradient[5] = 30f;
            slices.Complete(theta, gradient, likelihoodScale: 7.0, priorWeight: 1.0);
            Assert.Equal([10f - 2f, 20f + 4f, -6f, -1f, 2f, 30f - 2f], gradient);
        }
        // w = 0 (exact chunks after the first): the likelihood's slices only, unwritten ranges still zero.
        gradient[0] = 10f; gradient[1] = 20f; gradient[5] = 30f;
        slices.Complete(theta, gradient, likelihoodScale: 1.0, priorWeight: 0.0);
        Assert.Equal([10f, 20f, 0f, 0f, 0f, 30f], gradient);
    }

    [Fact]
    public void Each_parameter_tensor_gets_an_output_in_its_shape_and_the_graph_no_packing_nodes()
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx")));
        var rows = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz")).Rows(0, 4);
        var layout = ParameterLayout.FromModel(model);
        var graph = DensityGraphBuilder.Build(model, layout, DensityOptions.Parse("gaussian:0.5", "gaussian:1.0"), rows, 1.0);

        var outputs = graph.Model.Graph.Output.ToDictionary(o => o.Name, o => o.Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray());
        Assert.Equal(layout.Tensors.Count + 1, outputs.Count);
        Assert.Equal(layout.Tensors.Select(t => $"{t.Offset}:[{string.Join(',', t.Shape)}]"), graph.Gradient.Slices.Select(s => $"{s.Offset}:[{string.Join(',', s.Shape)}]"));
        foreach (var s in graph.Gradient.Slices) Assert.Equal(s.Shape, outputs[s.OutputName]);
        Assert.Empty(graph.Gradient.Unwritten);
        Assert.Equal(layout.Dimension, graph.Gradient.PriorSegments.Sum(s => s.Length));
        Assert.DoesNotContain(graph.Model.Graph.Node, n => n.OpType is "Concat" or "Identity");
    }
}
