namespace OnnxRay.Sampling.Plugins;

/// <summary>
/// One plugin that could not be (fully) loaded. Always names the assembly (or folder) at fault;
/// the catalog keeps loading the other plugins.
/// </summary>
/// <param name="Kind">The failure mode.</param>
/// <param name="AssemblyPath">The plugin assembly (or plugin folder, when no assembly was found).</param>
/// <param name="Message">A human-readable explanation that names the assembly and, where known, the type or dependency.</param>
/// <param name="Exception">The underlying exception, when there was one.</param>
public sealed record PluginProblem(PluginProblemKind Kind, string AssemblyPath, string Message, Exception? Exception = null)
{
    public override string ToString() => $"{Kind}: {Message}";
}
