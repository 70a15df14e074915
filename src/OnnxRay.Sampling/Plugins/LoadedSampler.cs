using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Plugins;

/// <summary>A sampler factory discovered in a plugin, with what <c>onnxray plugins</c> shows about it.</summary>
/// <param name="Name">The sampler's name (unique in a catalog).</param>
/// <param name="Version">The plugin assembly's informational version (or assembly version when it has none).</param>
/// <param name="Description">The factory's one-line description.</param>
/// <param name="SourceFolder">The plugin folder it was loaded from.</param>
/// <param name="AssemblyPath">The plugin assembly file.</param>
/// <param name="Factory">The factory instance (lives in the plugin's load context).</param>
/// <param name="Options">The options with their defaults.</param>
public sealed record LoadedSampler(
    string Name,
    string Version,
    string Description,
    string SourceFolder,
    string AssemblyPath,
    ISamplerFactory Factory,
    IReadOnlyList<SamplerOptionDescriptor> Options)
{
    /// <summary>Binds <c>key=value</c> options (see <see cref="SamplerOptionBinder"/>) and validates them.</summary>
    public SamplerOptions BindOptions(IEnumerable<string> keyValuePairs) => SamplerOptionBinder.Bind(Factory, keyValuePairs);

    /// <summary>Binds a configuration dictionary and validates it.</summary>
    public SamplerOptions BindOptions(IEnumerable<KeyValuePair<string, string?>> values) => SamplerOptionBinder.Bind(Factory, values);
}
