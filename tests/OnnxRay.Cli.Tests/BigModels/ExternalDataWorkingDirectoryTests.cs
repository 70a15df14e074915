using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.IO;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests.BigModels;

/// <summary>
/// A model whose weights are external data works from any working directory: ONNX Runtime resolves the side file against
/// the model's folder, not the process's cwd (it used to, so these commands only worked inside the model folder).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ExternalDataWorkingDirectoryTests
{
    [Fact]
    public void Gradient_sample_and_predict_run_outside_the_model_folder()
    {
        var root = CliTool.NewTempFolder("extdata");
        try
        {
            var modelFolder = Path.Combine(root, "model");
            var elsewhere = Directory.CreateDirectory(Path.Combine(root, "elsewhere")).FullName;
            var externalModel = Path.Combine(modelFolder, "boston_external.onnx");
            var inlineModel = Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx");
            OnnxModel.Load(inlineModel).Save(externalModel, ModelSaveOptions.AllExternal);
            Assert.True(OnnxModel.Load(externalModel).HasExternalData());
            Assert.True(File.Exists(externalModel + ".data"));

            var data = Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz");
            string[] density = ["--data", data, "--likelihood", "gaussian:0.5", "--prior", "gaussian:1"];
            var timeout = CliTool.DefaultTimeout;
            var fromExternal = Path.Combine(root, "external.npz");
            var fromInline = Path.Combine(root, "inline.npz");
            Ok(CliTool.RunIn(elsewhere, timeout, ["gradient", Path.GetRelativePath(elsewhere, externalModel), .. density, "--out", fromExternal]));
            Ok(CliTool.RunIn(elsewhere, timeout, ["gradient", inlineModel, .. density, "--out", fromInline]));
            var external = NpzFile.Read(fromExternal);
            var inline = NpzFile.Read(fromInline);
            Assert.Equal(inline.Keys.Order(StringComparer.Ordinal), external.Keys.Order(StringComparer.Ordinal));
            Assert.True(inline.Count > 1, "the gradient file should hold log_density and one array per weight");
            foreach (var (name, array) in inline)
                Assert.Equal(array.ToDoubles(), external[name].ToDoubles()); // same weights, same graph: bit-identical

            var run = Path.Combine(root, "run");
            Ok(CliTool.RunIn(elsewhere, timeout, ["sample", externalModel, .. density, "--sampler", "hmc", "--chains", "1",
                "--warmup", "5", "--draws", "6", "--chunk-size", "3", "--seed", "3", "--out", run]));
            var predictions = Path.Combine(root, "pred.csv");
            Ok(CliTool.RunIn(elsewhere, timeout, ["predict", run, "--data", Path.Combine(RepositoryPaths.Models, "data", "boston", "test.npz"), "--out", predictions]));
            Assert.True(File.ReadAllLines(predictions).Length > 1);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());
}
