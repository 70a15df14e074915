using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// The likelihood scale s and prior weight w reach the graph only through host-computed coefficient inputs: a session
/// that switches (s, w) between runs must give what a fresh session gives for that pair, and log p and ∇ log p must be
/// s·(log-likelihood) + w·(log prior) for every head and both prior forms (one shared σ, per-tensor σ as a [D] input).
/// </summary>
public class DensityCoefficientTests
{
    private static readonly (float Scale, float Weight)[] Sequence = [(1f, 1f), (4f, 0f), (4f, 1f), (0.5f, 0f), (0f, 1f), (2.5f, 3f), (1f, 1f)];

    [Theory]
    [InlineData("gaussian:0.5", "gaussian:1.0")]
    [InlineData("gaussian", "gaussian-fanin:1.0")]
    [InlineData("gaussian:2", "none")]
    public void Switching_scale_and_weight_matches_a_fresh_session_and_is_linear(string likelihood, string prior)
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx")));
        var options = DensityOptions.Parse(likelihood, prior);
        var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"));
        var data = DensityData.FromArrays(all.Rows(0, 24), "boston").Prepare(model, options.Likelihood);
        var graph = DensityGraphBuilder.Build(model, ParameterLayout.FromModel(model), options, data.Arrays, likelihoodScale: 3.0);
        var theta = graph.Layout.ReadInitialTheta(model);
        if (graph.Layout.Contains(LikelihoodSpec.LogSigmaParameter)) theta[graph.Layout[LikelihoodSpec.LogSigmaParameter].Offset] = 0.3f;
        var chunk = graph.DataInputs.Select(d => OrtTensors.Wrap(data.Arrays[d.Name].Data, d.Shape)).ToArray();
        try
        {
            (double Value, float[] Gradient) Fresh(float s, float w)
            {
                using var session = new GraphSession(graph, new OrtLogDensityOptions());
                session.SetData(chunk);
                var g = new float[graph.Layout.Dimension];
                return (session.Run(theta, g, s, w), g);
            }

            var (likelihoodValue, likelihoodGradient) = Fresh(1f, 0f);
            var (priorValue, priorGradient) = Fresh(0f, 1f);
            Assert.Equal(prior == "none", priorValue == 0);
            using var reused = new GraphSession(graph, new OrtLogDensityOptions());
            reused.SetData(chunk);
            var gradient = new float[graph.Layout.Dimension];
            foreach (var (s, w) in Sequence)
            {
                var value = reused.Run(theta, gradient, s, w);
                var (freshValue, freshGradient) = Fresh(s, w);
                Assert.Equal(freshValue, value);
                Assert.Equal(freshGradient, gradient);

                var expected = s * likelihoodValue + w * priorValue;
                Assert.True(Math.Abs(value - expected) <= 1e-5 * (Math.Abs(s * likelihoodValue) + Math.Abs(w * priorValue)) + 1e-4,
                    $"(s={s}, w={w}): log p {value} vs s·loglik + w·logprior {expected}");
                double diff = 0, norm = 0;
                for (var i = 0; i < gradient.Length; i++)
                {
                    var want = s * (double)likelihoodGradient[i] + w * (double)priorGradient[i];
                    diff += (gradient[i] - want) * (gradient[i] - want);
                    norm += want * want;
                }
                Assert.True(Math.Sqrt(diff) <= 1e-5 * Math.Sqrt(norm) + 1e-6, $"(s={s}, w={w}): gradient off by {Math.Sqrt(diff):E2} (norm {Math.Sqrt(norm):E2})");
            }
        }
        finally
        {
            foreach (var v in chunk) v.Dispose();
        }
    }

    [Fact]
    public void Scale_and_weight_never_reach_the_graph_as_nodes_and_the_target_comes_in_the_prediction_shape()
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx")));
        var options = DensityOptions.Parse("gaussian:0.5", "gaussian:1.0");
        var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"));
        var data = DensityData.FromArrays(all.Rows(0, 8), "boston").Prepare(model, options.Likelihood);
        var graph = DensityGraphBuilder.Build(model, ParameterLayout.FromModel(model), options, data.Arrays, likelihoodScale: 2.0).Model.Graph;
        Assert.Equal([8L, 1L], graph.Input.Single(i => i.Name == DensityGraph.TargetInput).Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.DoesNotContain(graph.Node, n => n.Input.Contains(DensityGraph.TargetInput) && n.OpType == "Reshape");
        // The single gaussian term leaves the graph as is: its scale and the offset are applied on the host.
        Assert.Equal("ReduceSumSquare", graph.Node.Single(n => n.Output.Contains(DensityGraph.LogDensityOutput)).OpType);
        // Coefficient inputs only meet data-sized values: no node multiplies two scalars.
        var scalars = graph.Initializer.Where(i => i.Dims.Count == 0).Select(i => i.Name).ToHashSet();
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Mul" && n.Input.All(scalars.Contains));
    }

    [Fact]
    public void Fill_writes_each_segment_and_zeros_elsewhere()
    {
        var coefficient = new DensityCoefficient("c", [4], [new CoefficientSegment(0, 2, 2.0, 0.0), new CoefficientSegment(3, 1, 1.0, -4.0)]);
        var values = new float[] { 9, 9, 9, 9 };
        coefficient.Fill(values, likelihoodScale: 1.5, priorWeight: 0.5);
        Assert.Equal([3f, 3f, 0f, -0.5f], values);
        Assert.False(coefficient.HasDefault);
        Assert.Throws<ArgumentException>(() => coefficient.Fill(new float[2], 1, 1));
    }
}
