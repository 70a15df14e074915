namespace OnnxRay.Sampling.Plugins;

/// <summary>
/// A folder searched for plugins: either a plugin folder itself (holding <c>NAME/NAME.dll</c>'s contents) or a
/// folder of plugin folders, one subfolder per plugin.
/// </summary>
public sealed record PluginSource(string Folder, PluginSourceKind Kind)
{
    /// <summary>Name of the environment variable holding extra plugin folders (path-separator-delimited).</summary>
    public const string EnvironmentVariable = "ONNXRAY_PLUGINS";

    /// <summary>The built-in plugins folder: <c>plugins/</c> next to the running tool.</summary>
    public static string BuiltInFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// The standard search order: the built-in folder, then each <c>--plugins</c> folder in the order given,
    /// then each entry of <c>ONNXRAY_PLUGINS</c>. The first plugin to claim a sampler name keeps it.
    /// </summary>
    public static IReadOnlyList<PluginSource> Standard(IEnumerable<string>? commandLineFolders = null, string? environmentValue = null)
    {
        var sources = new List<PluginSource> { new(BuiltInFolder, PluginSourceKind.BuiltIn) };
        foreach (var folder in commandLineFolders ?? []) sources.Add(new(folder, PluginSourceKind.CommandLine));
        environmentValue ??= System.Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(environmentValue))
            foreach (var folder in environmentValue.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                sources.Add(new(folder, PluginSourceKind.Environment));
        return sources;
    }
}
