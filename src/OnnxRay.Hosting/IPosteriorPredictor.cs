using OnnxRay.Onnx.Data;

namespace OnnxRay.Hosting;

/// <summary>
/// The posterior predictive of one run folder, shared by a host: thread-safe, registered as a singleton by
/// <see cref="OnnxRayPosteriorServiceCollectionExtensions.AddOnnxRayPosterior(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{OnnxRayPosteriorOptions})"/>.
/// </summary>
public interface IPosteriorPredictor
{
    /// <summary>What the predictor expects and where its draws come from (served by <c>GET /model</c>).</summary>
    PosteriorModelInfo Model { get; }

    /// <summary>
    /// The aggregates <c>onnxray predict</c> computes for <paramref name="inputs"/> (one array per model input, same
    /// first dimension), computed on the calling thread.
    /// </summary>
    /// <exception cref="PosteriorRequestException">An input is missing, unknown, or has the wrong shape or dtype (names the field).</exception>
    PosteriorPrediction Predict(IReadOnlyDictionary<string, NpyArray> inputs);

    /// <summary>
    /// <see cref="Predict"/> after waiting (asynchronously) for one of the
    /// <see cref="OnnxRayPosteriorOptions.MaxConcurrentPredictions"/> slots.
    /// </summary>
    Task<PosteriorPrediction> PredictAsync(IReadOnlyDictionary<string, NpyArray> inputs, CancellationToken cancellationToken = default);
}
