namespace OnnxRay.Sampling.Plugins;

/// <summary>No loaded plugin provides a sampler of the requested name.</summary>
public sealed class UnknownSamplerException(string name, IReadOnlyList<string> available, IReadOnlyList<PluginProblem> problems)
    : OnnxRay.Onnx.Errors.OnnxRayException(BuildMessage(name, available, problems))
{
    public string SamplerName { get; } = name;
    public IReadOnlyList<string> AvailableSamplers { get; } = available;

    private static string BuildMessage(string name, IReadOnlyList<string> available, IReadOnlyList<PluginProblem> problems)
    {
        var message = $"Unknown sampler '{name}'. Available samplers: {(available.Count == 0 ? "(none)" : string.Join(", ", available))}.";
        // A plugin that failed to load may be the one the user meant: say so.
        if (problems.Count > 0) message += $" {problems.Count} plugin(s) failed to load: " + string.Join("; ", problems.Select(p => p.Message));
        return message;
    }
}
