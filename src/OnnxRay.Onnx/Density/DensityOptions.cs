namespace OnnxRay.Onnx.Density;

/// <summary>What density to build: likelihood head, prior, and which model output is the prediction (null: the first output).</summary>
public sealed record DensityOptions(LikelihoodSpec Likelihood, PriorSpec Prior, string? OutputName = null)
{
    public const string OutputOptionName = "--output";

    public static DensityOptions Parse(string likelihood, string prior = "none", string? outputName = null) =>
        new(LikelihoodSpec.Parse(likelihood), PriorSpec.Parse(prior), string.IsNullOrWhiteSpace(outputName) ? null : outputName);
}
