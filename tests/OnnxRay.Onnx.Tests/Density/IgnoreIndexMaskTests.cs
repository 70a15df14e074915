using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// The categorical head drops its ignore-index mask when no target of the whole data set is the ignore index: the
/// same log density and gradient bit for bit, four nodes fewer; OrtLogDensity decides from the whole data set, so a
/// data set whose only ignored target lies outside the first minibatch keeps the mask.
/// </summary>
public class IgnoreIndexMaskTests
{
    private static readonly OnnxModel Model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx")));

    [Fact]
    public void Unmasked_head_gives_the_masked_values_bit_for_bit_with_four_nodes_fewer()
    {
        var data = Digits(rows: 32);
        var options = DensityOptions.Parse("categorical", "gaussian:1");
        var layout = ParameterLayout.FromModel(Model);
        var masked = DensityGraphBuilder.Build(Model, layout, options, data.Arrays, 3.0, ignoredTargets: true);
        var plain = DensityGraphBuilder.Build(Model, layout, options, data.Arrays, 3.0, ignoredTargets: false);
        Assert.Equal(masked.Model.Graph.Node.Count - 4, plain.Model.Graph.Node.Count);
        Assert.DoesNotContain(plain.Model.Graph.Node, n => n.OpType == "Equal" && n.Input.Contains(DensityGraph.TargetInput));

        var (maskedValue, maskedGradient) = Evaluate(masked, data, layout);
        var (plainValue, plainGradient) = Evaluate(plain, data, layout);
        Assert.Equal(maskedValue, plainValue);
        Assert.Equal(maskedGradient, plainGradient);
    }

    [Fact]
    public void OrtLogDensity_keeps_the_mask_when_any_target_of_the_data_set_is_ignored()
    {
        var clean = Digits(rows: 64);
        var withIgnored = Digits(rows: 64);
        ((long[])withIgnored.Arrays[DensityGraph.TargetInput].Data)[50] = -100; // outside the first minibatch of 16
        var options = DensityOptions.Parse("categorical", "gaussian:1");
        var minibatch = new OrtLogDensityOptions { BatchSize = 16, MinibatchRandom = OnnxRay.Abstractions.ChainRandom.ForChain(1, 0) };
        using var plain = OrtLogDensity.Create(Model, clean, options, minibatch);
        using var masked = OrtLogDensity.Create(Model, withIgnored, options, minibatch);
        Assert.DoesNotContain(plain.Graph.Model.Graph.Node, n => n.OpType == "Equal" && n.Input.Contains(DensityGraph.TargetInput));
        Assert.Contains(masked.Graph.Model.Graph.Node, n => n.OpType == "Equal" && n.Input.Contains(DensityGraph.TargetInput));
    }

    private static DensityData Digits(int rows)
    {
        var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "digits", "train.npz")).Prepare(Model, LikelihoodSpec.Parse("categorical"));
        return DensityData.FromArrays(all.Rows(0, rows), "digits");
    }

    private static (double Value, float[] Gradient) Evaluate(DensityGraph graph, DensityData data, ParameterLayout layout)
    {
        using var session = new GraphSession(graph, new OrtLogDensityOptions());
        var chunk = graph.DataInputs.Select(d => OrtTensors.Wrap(data.Arrays[d.Name].Data, d.Shape)).ToArray();
        try
        {
            layout.ReadInitialTheta(Model).CopyTo(session.Theta, 0);
            session.SetData(chunk);
            var value = session.Run(3f, 1f);
            return (value, session.Gradient.ToArray());
        }
        finally
        {
            foreach (var v in chunk) v.Dispose();
        }
    }
}
