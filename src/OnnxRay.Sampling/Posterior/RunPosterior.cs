using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Posterior;

/// <summary>
/// A finished (or running) run folder opened for prediction: checksums verified, the model rebuilt from the manifest
/// without the training data, the parameter layout checked against the manifest, and M draws selected. Never loads
/// sampler plugins. Thread-safe for concurrent <see cref="Predict"/> calls.
/// </summary>
public sealed class RunPosterior : IDisposable
{
    private RunPosterior(RunFolder folder, PosteriorDefinition definition, LikelihoodSpec likelihood, PosteriorPredictor predictor, RunDrawSource draws)
    {
        Folder = folder;
        Definition = definition;
        Likelihood = likelihood;
        Predictor = predictor;
        Draws = draws;
    }

    public RunFolder Folder { get; }
    public PosteriorDefinition Definition { get; }
    public LikelihoodSpec Likelihood { get; }
    public PosteriorPredictor Predictor { get; }
    public RunDrawSource Draws { get; }

    /// <param name="runFolder">A folder written by <c>onnxray sample</c>.</param>
    /// <param name="maxDraws">Use at most this many draws, evenly thinned (null: all).</param>
    /// <param name="options">Predictor settings (parallelism, batch size, device; a resident-draw budget gives the selected draws one session each).</param>
    /// <exception cref="RunFolderException">The folder fails its checksums, or its model no longer matches the recorded layout.</exception>
    public static RunPosterior Open(string runFolder, int? maxDraws = null, PredictorOptions? options = null)
    {
        var folder = RunFolder.Open(runFolder);
        try
        {
            var manifestPath = RunLayout.ManifestPath(folder.FolderPath);
            var definition = PosteriorDefinition.FromManifest(folder.Manifest, manifestPath);
            PosteriorProblem.VerifyUnchanged(folder.Manifest with { Data = [] }, manifestPath);
            var density = DensityOptions.Parse(definition.Likelihood, definition.Prior, definition.Output);
            var model = definition.LoadModel();
            var layout = RebuildLayout(model, definition, density, folder.Manifest, manifestPath);
            // A run sampled on a device list (cuda:0,cuda:1, cpu*2) predicts on its first device unless told otherwise.
            var predictor = PosteriorPredictor.Create(model, layout, density.Likelihood, definition.Output,
                (options ?? new PredictorOptions()) with { Device = options?.Device ?? DevicePoolLogDensity.ParseDevices(definition.Device)[0] });
            try
            {
                var draws = new RunDrawSource(folder, maxDraws);
                predictor.UseResidentDraws(draws);
                return new RunPosterior(folder, definition, density.Likelihood, predictor, draws);
            }
            catch
            {
                predictor.Dispose();
                throw;
            }
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Posterior predictive of <paramref name="inputs"/> (one array per model input).</summary>
    public PredictionResult Predict(IReadOnlyDictionary<string, NpyArray> inputs, double[]? regressionTargets = null) =>
        Predictor.Predict(inputs, Draws, regressionTargets);

    private static ParameterLayout RebuildLayout(OnnxModel model, PosteriorDefinition definition, DensityOptions density, RunManifest manifest, string manifestPath)
    {
        var output = density.Likelihood.OutputName ?? definition.Output;
        var layout = ParameterLayout.FromModel(model, ParameterSelection.Parse(definition.Params), GradientRuleRegistry.Default,
            output is null ? null : [output]);
        if (density.Likelihood.Kind == LikelihoodKind.GaussianLearned)
            layout = layout.WithExtraParameter(LikelihoodSpec.LogSigmaParameter, [], [0f]);
        var recorded = manifest.Parameters;
        var same = recorded.Count == layout.Tensors.Count && recorded.Zip(layout.Tensors).All(p =>
            p.First.Name == p.Second.Name && p.First.Offset == p.Second.Offset && p.First.Shape.SequenceEqual(p.Second.Shape));
        if (!same || layout.Dimension != manifest.Dimension)
            throw new RunFolderException(manifestPath,
                $"the model '{definition.ModelPath}' no longer has the parameter layout recorded in the run (D = {manifest.Dimension}, {recorded.Count} tensors; now D = {layout.Dimension}, {layout.Tensors.Count} tensors).");
        return layout;
    }

    public void Dispose()
    {
        Predictor.Dispose();
        Folder.Dispose();
    }
}
