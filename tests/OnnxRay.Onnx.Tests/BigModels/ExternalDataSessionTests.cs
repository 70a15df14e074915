using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Tests.TestSupport;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.BigModels;

/// <summary>
/// Sessions built from a model with external data (the shape probe, the density graph, the predictor) find the side
/// file through the model's folder, not the process's working directory, and compute exactly what the inline model does.
/// </summary>
public sealed class ExternalDataSessionTests
{
    private static readonly string BostonPath = Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx");

    private static DensityData Rows() =>
        DensityData.FromArrays(DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz")).Rows(0, 40), "boston");

    /// <summary>boston_mlp with every initializer (fc2.bias, which is not sampled, too) in a side file of a temp folder.</summary>
    private static OnnxModel SaveExternal(TempFolder folder)
    {
        var path = folder.File("boston_external.onnx");
        OnnxModel.Load(BostonPath).Save(path, ModelSaveOptions.AllExternal);
        Assert.NotEqual(Path.GetFullPath(folder.Path), Path.GetFullPath(Directory.GetCurrentDirectory()));
        var model = OnnxModel.Load(path);
        Assert.All(model.Proto.Graph.Initializer, t => Assert.True(ExternalDataResolver.IsExternal(t), t.Name));
        return ModelNormalizer.Normalize(model);
    }

    [Theory]
    [InlineData(null)]        // every weight in θ; fc2.bias (1 element) stays an external initializer of the density graph
    [InlineData("fc1.*")]     // fc2.* stay external initializers
    public void Density_of_an_external_data_model_equals_the_inline_one(string? glob)
    {
        using var folder = new TempFolder();
        var external = SaveExternal(folder);
        var inline = ModelNormalizer.Normalize(OnnxModel.Load(BostonPath));
        var options = DensityOptions.Parse("gaussian:0.5", "gaussian:1");
        var selection = ParameterSelection.Parse(glob);
        using var fromExternal = OrtLogDensity.Create(external, Rows(), options, null, selection);
        using var fromInline = OrtLogDensity.Create(inline, Rows(), options, null, selection);
        Assert.Equal(fromInline.InitialTheta, fromExternal.InitialTheta);
        var theta = fromInline.InitialTheta.Select((v, i) => v + 0.01f * MathF.Sin(i)).ToArray();
        var g1 = new float[theta.Length];
        var g2 = new float[theta.Length];
        Assert.Equal(fromInline.Evaluate(theta, g1), fromExternal.Evaluate(theta, g2));
        Assert.Equal(g1, g2);
        Assert.Contains(g2, v => v != 0f);
    }

    [Fact]
    public void Predictor_of_an_external_data_model_equals_the_inline_one()
    {
        using var folder = new TempFolder();
        var external = SaveExternal(folder);
        var inline = ModelNormalizer.Normalize(OnnxModel.Load(BostonPath));
        var layout = ParameterLayout.FromModel(inline, ParameterSelection.Parse("fc1.*"));
        var likelihood = DensityOptions.Parse("gaussian:0.5", "none").Likelihood;
        var theta = layout.ReadInitialTheta(inline);
        var draws = new InMemoryDraws([theta, theta.Select(v => -v).ToArray()]);
        var x = new Dictionary<string, NpyArray> { ["x"] = Rows().Arrays["x"] };
        using var p1 = PosteriorPredictor.Create(inline, layout, likelihood, null, new PredictorOptions { KeepPerDrawOutputs = true });
        using var p2 = PosteriorPredictor.Create(external, layout, likelihood, null, new PredictorOptions { KeepPerDrawOutputs = true });
        Assert.Equal(p1.Predict(x, draws).PerDrawOutputs, p2.Predict(x, draws).PerDrawOutputs);
    }
}
