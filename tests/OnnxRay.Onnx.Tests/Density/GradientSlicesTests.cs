using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// The gradient leaves the graph as one output per parameter tensor (bound to its slice of the flat gradient) and is
/// completed on the host: unwritten ranges zeroed, the prior's log term and −w·θ/σ² added per segment, on every run.
/// </summary>
public class GradientSlicesTests
{
    [Fact]
    public void Unwritten_ranges_are_cleared_and_the_host_prior_added_on_every_run()
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx")));
        var layout = ParameterLayout.FromModel(model);
        var spec = PriorSpec.Parse("gaussian-fanin:1.5");
        var prior = HostPrior.For(layout, spec);
        Assert.True(prior.Segments.Count > 1); // weights and biases have different fan-in σ
        var random = new Random(5);
        var theta = Enumerable.Range(0, layout.Dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        // The first tensor plays one the graph does not write: it holds the previous run's values.
        var first = layout.Tensors[0];
        var slices = new GradientSlices([], [(first.Offset, first.Length)]);
        var likelihood = theta.Select(t => 3f * t + 1f).ToArray();
        var gradient = new float[layout.Dimension];
        const double w = 0.75;
        for (var run = 0; run < 2; run++)
        {
            likelihood.AsSpan().CopyTo(gradient);
            slices.ClearUnwritten(gradient);
            prior.AddGradient(theta, gradient, w);
            var expectedLog = 0.0;
            foreach (var t in layout.Tensors)
            {
                var precision = 1 / (spec.SigmaFor(t) * spec.SigmaFor(t));
                for (var i = t.Offset; i < t.Offset + t.Length; i++)
                {
                    var written = t == first ? 0f : likelihood[i];
                    Assert.Equal(written + theta[i] * (float)(-w * precision), gradient[i]);
                    expectedLog -= 0.5 * w * precision * theta[i] * theta[i];
                }
            }
            Assert.Equal(expectedLog, prior.LogTerm(theta, w), Math.Abs(expectedLog) * 1e-6);
        }
        // w = 0 (exact chunks after the first): no prior at all.
        likelihood.AsSpan().CopyTo(gradient);
        prior.AddGradient(theta, gradient, 0);
        Assert.Equal(likelihood, gradient);
        Assert.Equal(0.0, prior.LogTerm(theta, 0));
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
        Assert.Equal(layout.Dimension, graph.Prior.Segments.Sum(s => s.Length));
        Assert.DoesNotContain(graph.Model.Graph.Node, n => n.OpType is "Concat" or "Identity");
        // The prior runs on the host, so θ enters only through the per-tensor views: no flat θ input.
        Assert.Equal(graph.ThetaViews.Select(v => v.InputName).Order(), graph.Model.Graph.Input.Select(i => i.Name)
            .Except(graph.DataInputs.Select(d => d.Name)).Except(graph.Coefficients.Select(c => c.InputName)).Order());
    }
}
