using OnnxRay.Hosting.Inputs;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Sampling.Posterior;

namespace OnnxRay.Hosting;

/// <summary>
/// <see cref="IPosteriorPredictor"/> over a run folder: a <see cref="RunPosterior"/> (checksums verified, model rebuilt
/// from the manifest, never any sampler plugin) whose predictor holds the draws in sessions with the weights as
/// constants, a group of draws per session (within <see cref="OnnxRayPosteriorOptions.ResidentDrawBudgetBytes"/>) or pools θ buffers, so requests
/// allocate nothing θ-sized. Requests are validated first so errors name the request field at fault.
/// </summary>
public sealed class RunFolderPosteriorPredictor : IPosteriorPredictor, IDisposable
{
    private readonly RunPosterior _posterior;
    private readonly PosteriorInputValidator _validator;
    private readonly SemaphoreSlim _slots;

    private RunFolderPosteriorPredictor(RunPosterior posterior, int maxConcurrentPredictions)
    {
        _posterior = posterior;
        _validator = new PosteriorInputValidator(posterior.Predictor.DataInputs);
        _slots = new SemaphoreSlim(maxConcurrentPredictions, maxConcurrentPredictions);
        Model = Describe(posterior);
    }

    /// <summary>Opens the run folder of <paramref name="options"/> (validated by the caller).</summary>
    /// <exception cref="OnnxRay.Sampling.Storage.RunFolderException">The folder fails its checksums or no longer matches its model (names the file).</exception>
    public static RunFolderPosteriorPredictor Open(OnnxRayPosteriorOptions options)
    {
        var posterior = RunPosterior.Open(options.RunFolder, options.MaxDraws, new PredictorOptions
        {
            Parallelism = options.Parallelism,
            IntraOpThreads = options.IntraOpThreads,
            BatchSize = options.BatchSize,
            Device = options.Device,
            KeepPerDrawOutputs = options.KeepPerDrawOutputs,
            ResidentDrawBudgetBytes = options.ResidentDrawBudgetBytes,
            ResidentDrawsPerSession = options.ResidentDrawsPerSession,
            BatchResidentDraws = options.BatchResidentDraws,
        });
        return new RunFolderPosteriorPredictor(posterior, options.MaxConcurrentPredictions);
    }

    public PosteriorModelInfo Model { get; }

    public PosteriorPrediction Predict(IReadOnlyDictionary<string, NpyArray> inputs)
    {
        _validator.Validate(inputs);
        return PosteriorPrediction.From(_posterior.Predict(inputs));
    }

    public async Task<PosteriorPrediction> PredictAsync(IReadOnlyDictionary<string, NpyArray> inputs, CancellationToken cancellationToken = default)
    {
        _validator.Validate(inputs);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return PosteriorPrediction.From(_posterior.Predict(inputs));
        }
        finally
        {
            _slots.Release();
        }
    }

    private static PosteriorModelInfo Describe(RunPosterior posterior)
    {
        var predictor = posterior.Predictor;
        var manifest = posterior.Folder.Manifest;
        var graphOutput = predictor.Model.Proto.Graph.Output.First(o => o.Name == predictor.OutputName);
        var output = ModelInput.From(graphOutput);
        return new PosteriorModelInfo(
            posterior.Folder.FolderPath,
            predictor.DataInputs.Select(Tensor).ToList(),
            Tensor(output),
            predictor.Task.ToString().ToLowerInvariant(),
            posterior.Draws.Count,
            posterior.Folder.Chains.Sum(c => c.DrawCount),
            new RunSummary(
                manifest.Model?.Path, manifest.Model?.Sha256, manifest.Sampler.Name, manifest.Sampler.Version,
                manifest.Chains, manifest.Warmup, manifest.Draws, manifest.Thin, manifest.Dimension,
                manifest.Likelihood, manifest.Prior, manifest.Seed, manifest.CreatedUtc, manifest.ToolVersion));
    }

    private static TensorInfo Tensor(ModelInput t) => new(
        t.Name,
        t.ElementType == 0 ? "unknown" : DtypeNames.NameOf(OrtTensors.DtypeOf(t.ElementType)),
        t.Dimensions.Select(d => d > 0 ? d : (long?)null).ToList());

    public void Dispose()
    {
        _posterior.Dispose();
        _slots.Dispose();
    }
}
