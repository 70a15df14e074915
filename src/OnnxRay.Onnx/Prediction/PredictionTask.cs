using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Prediction;

/// <summary>How the prediction output is read, which follows from the likelihood the posterior was sampled with.</summary>
public enum PredictionTask
{
    /// <summary>Logits over the last axis (categorical likelihood).</summary>
    Classification,
    /// <summary>One logit per output (bernoulli likelihood): probabilities [1 − σ(z), σ(z)].</summary>
    Binary,
    /// <summary>Means with Gaussian noise (fixed σ, or learned log_sigma in θ).</summary>
    Regression,
}

/// <summary>Maps a likelihood to its prediction task.</summary>
public static class PredictionTasks
{
    public static PredictionTask For(LikelihoodSpec likelihood) => likelihood.Kind switch
    {
        LikelihoodKind.Categorical => PredictionTask.Classification,
        LikelihoodKind.Bernoulli => PredictionTask.Binary,
        LikelihoodKind.GaussianFixed or LikelihoodKind.GaussianLearned => PredictionTask.Regression,
        _ => throw new OnnxRayException(
            $"Posterior predictions need a categorical, bernoulli or gaussian likelihood; this posterior used '{likelihood}', whose model output is a log-likelihood, not a prediction."),
    };
}
