using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Hosting;

/// <summary>
/// Checks <see cref="OnnxRayPosteriorOptions"/> when the host starts; every message names the option (with its
/// configuration path when the options were bound from a section). The run folder's checksums are verified when the
/// predictor is opened, also at start-up.
/// </summary>
internal sealed partial class OnnxRayPosteriorOptionsValidator(string optionPrefix) : IValidateOptions<OnnxRayPosteriorOptions>
{
    public ValidateOptionsResult Validate(string? name, OnnxRayPosteriorOptions options)
    {
        var failures = Problems(options).Select(p => optionPrefix + p).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Problems(OnnxRayPosteriorOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.RunFolder))
            yield return "RunFolder is required: the run folder written by 'onnxray sample'.";
        else if (!Directory.Exists(o.RunFolder))
            yield return $"RunFolder '{o.RunFolder}' does not exist.";
        else if (!File.Exists(RunLayout.ManifestPath(Path.GetFullPath(o.RunFolder))))
            yield return $"RunFolder '{o.RunFolder}' has no manifest.json (is it a run folder?).";
        if (o.MaxDraws is < 1) yield return $"MaxDraws must be at least 1 when set, got {o.MaxDraws}.";
        if (o.Parallelism < 1) yield return $"Parallelism must be at least 1, got {o.Parallelism}.";
        if (o.IntraOpThreads < 0) yield return $"IntraOpThreads must be 0 (ONNX Runtime's default) or more, got {o.IntraOpThreads}.";
        if (o.BatchSize < 1) yield return $"BatchSize must be at least 1, got {o.BatchSize}.";
        if (o.Device is null || !DevicePattern().IsMatch(o.Device)) yield return $"Device must be 'cpu' or 'cuda:N', got '{o.Device}'.";
        if (o.ResidentDrawBudgetBytes < 0) yield return $"ResidentDrawBudgetBytes must be 0 (off) or more, got {o.ResidentDrawBudgetBytes}.";
        if (o.ResidentDrawsPerSession < 1) yield return $"ResidentDrawsPerSession must be at least 1, got {o.ResidentDrawsPerSession}.";
        if (o.MaxRequestBytes < 1024) yield return $"MaxRequestBytes must be at least 1024, got {o.MaxRequestBytes}.";
        if (o.MaxConcurrentPredictions < 1) yield return $"MaxConcurrentPredictions must be at least 1, got {o.MaxConcurrentPredictions}.";
    }

    [GeneratedRegex(@"^(cpu|cuda:\d+)$")]
    private static partial Regex DevicePattern();
}
