using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Tests.AutodiffEngine;

namespace OnnxRay.Onnx.Tests.Transformers;

/// <summary>§3.3: one initializer read by several nodes is one parameter; Identity aliases are untied unless asked to stay tied.</summary>
public class TiedWeightTests
{
    /// <summary>x·W → tanh → ·Wᵀ (the tied-head pattern), with the second use either W itself or Identity(W).</summary>
    private static (GraphCase Graph, OnnxModel Model) TiedHead(bool throughIdentity)
    {
        var g = new GraphCase(21);
        var x = g.Param("x", [3, 4]);
        var w = g.Param("W", [4, 5]);
        var h = g.Node("Tanh", [g.Node("MatMul", [x, w])]);
        var second = throughIdentity ? g.Node("Identity", [w]) : w;
        var y = g.Node("MatMul", [h, g.Node("Transpose", [second], Attr.Ints("perm", [1, 0]))]);
        return (g, g.Finish(y, [3, 4]));
    }

    [Fact]
    public void Initializer_used_by_two_nodes_is_one_parameter_with_summed_gradient()
    {
        var (g, model) = TiedHead(throughIdentity: false);
        var normalized = ModelNormalizer.Normalize(model);
        var layout = ParameterLayout.FromModel(normalized, ParameterSelection.Parse("W"));
        Assert.Equal(20, Assert.Single(layout.Tensors).Length);
        GradientCheck.AgainstFiniteDifferences(normalized, g, glob: "W");
    }

    [Fact]
    public void Identity_alias_is_untied_by_default_into_its_own_parameter_initialised_from_the_source()
    {
        var (g, model) = TiedHead(throughIdentity: true);
        var aliases = AliasUntying.Find(model.Proto.Graph);
        var alias = Assert.Single(aliases);
        Assert.Equal("W", alias.Source);

        var normalized = ModelNormalizer.Normalize(model);
        Assert.DoesNotContain(normalized.Proto.Graph.Node, n => n.OpType == "Identity" && n.Input[0] == "W");
        var copy = normalized.Proto.Graph.Initializer.Single(i => i.Name == alias.Name);
        Assert.Contains(copy.MetadataProps, m => m.Key == AliasUntying.AliasOfKey && m.Value == "W");

        var layout = ParameterLayout.FromModel(normalized, ParameterSelection.Parse("W," + alias.Name));
        Assert.Equal(["W", alias.Name], layout.Tensors.Select(t => t.Name));
        var theta = layout.ReadInitialTheta(normalized);
        Assert.Equal(theta.AsSpan(0, 20).ToArray(), theta.AsSpan(20, 20).ToArray());
        GradientCheck.AgainstFiniteDifferences(normalized, g, glob: "W," + alias.Name);
    }

    [Fact]
    public void Tied_aliases_share_one_slice_whose_gradient_is_the_sum_of_the_untied_ones()
    {
        var (g, model) = TiedHead(throughIdentity: true);
        var alias = AliasUntying.Find(model.Proto.Graph)[0].Name;
        var tied = ModelNormalizer.Normalize(model, new NormalizationOptions { TieAliases = true });
        Assert.Contains(tied.Proto.Graph.Node, n => n.OpType == "Identity" && n.Input[0] == "W");
        var (_, tiedGradient, d1) = GradientCheck.Evaluate(tied, g, glob: "W");
        d1.Dispose();
        Assert.Equal(20, tiedGradient.Length);
        GradientCheck.AgainstFiniteDifferences(tied, g, glob: "W");

        var untied = ModelNormalizer.Normalize(model);
        var (_, untiedGradient, d2) = GradientCheck.Evaluate(untied, g, glob: "W," + alias);
        d2.Dispose();
        for (var i = 0; i < 20; i++)
            Assert.Equal(untiedGradient[i] + untiedGradient[20 + i], tiedGradient[i], 5);
    }

    [Fact]
    public void Sole_alias_of_an_otherwise_unused_initializer_is_kept()
    {
        var g = new GraphCase(23);
        var w = g.Param("W", [4, 5]);
        var x = g.Param("x", [3, 4]);
        var y = g.Node("MatMul", [x, g.Node("Identity", [w])]);
        var model = g.Finish(y, [3, 5]);
        Assert.Empty(AliasUntying.Find(model.Proto.Graph));
        var normalized = ModelNormalizer.Normalize(model);
        Assert.Contains(normalized.Proto.Graph.Node, n => n.OpType == "Identity");
        Assert.Equal(["W", "x"], ParameterLayout.FromModel(normalized).Tensors.Select(t => t.Name).Order());
    }
}
