using System.Reflection;
using McMaster.NETCore.Plugins;
using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Plugins;

/// <summary>
/// The samplers found in plugin folders, and the plugins that failed to load.
/// Every plugin — the built-in samplers included — lives in its own folder (<c>NAME/NAME.dll</c> plus its
/// deps.json and private dependencies) and its own load context; only OnnxRay.Abstractions is shared with the host.
/// A failing plugin becomes a <see cref="PluginProblem"/> naming its assembly and never stops the others loading.
/// Sampler names are unique: when two plugins offer the same name, the one found first (search order: built-in,
/// <c>--plugins</c> folders in the order given, <c>ONNXRAY_PLUGINS</c>) wins and the later one is reported as a
/// <see cref="PluginProblemKind.DuplicateSamplerName"/> problem. Built-in samplers therefore cannot be shadowed.
/// </summary>
public sealed class PluginCatalog : IDisposable
{
    // The contract types the host and plugins must agree on; naming them makes McMaster share their assembly.
    private static readonly Type[] SharedTypes =
    [
        typeof(ISamplerFactory), typeof(ISamplerKernel), typeof(ILogDensity), typeof(ICheckpointableDensity),
        typeof(SamplerOptions), typeof(SamplerOptionAttribute), typeof(StepInfo), typeof(ChainRandom), typeof(ParameterGroup),
    ];

    private readonly List<PluginLoader> _loaders = [];
    private readonly List<LoadedSampler> _samplers = [];
    private readonly List<PluginProblem> _problems = [];

    private PluginCatalog(IReadOnlyList<PluginSource> sources) => Sources = sources;

    /// <summary>The folders searched, in order.</summary>
    public IReadOnlyList<PluginSource> Sources { get; }

    /// <summary>Samplers that loaded, in discovery order.</summary>
    public IReadOnlyList<LoadedSampler> Samplers => _samplers;

    /// <summary>Plugins (or factories) that failed to load, in discovery order.</summary>
    public IReadOnlyList<PluginProblem> Problems => _problems;

    /// <summary>Searches the standard places: built-in <c>plugins/</c>, the given <c>--plugins</c> folders, <c>ONNXRAY_PLUGINS</c>.</summary>
    public static PluginCatalog LoadStandard(IEnumerable<string>? commandLineFolders = null) =>
        Load(PluginSource.Standard(commandLineFolders));

    /// <summary>Searches exactly the given folders, in order.</summary>
    public static PluginCatalog Load(IEnumerable<PluginSource> sources)
    {
        var catalog = new PluginCatalog(sources.ToList());
        var seenAssemblies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in catalog.Sources)
        {
            var root = Path.GetFullPath(source.Folder);
            if (!Directory.Exists(root))
            {
                // A missing built-in folder means a broken install; a missing user folder is a typo. Both are worth saying.
                catalog._problems.Add(new(PluginProblemKind.FolderNotFound, root,
                    $"Plugin folder '{root}' ({source.Kind}) does not exist."));
                continue;
            }
            foreach (var folder in PluginFolders(root))
            {
                var assemblyPath = MainAssembly(folder);
                if (assemblyPath is null)
                {
                    catalog._problems.Add(new(PluginProblemKind.NoPluginAssembly, folder,
                        $"Plugin folder '{folder}' holds no plugin assembly (expected '{Path.GetFileName(folder)}.dll' or a single *.deps.json)."));
                    continue;
                }
                if (!seenAssemblies.Add(assemblyPath)) continue; // the same folder listed twice
                catalog.LoadPlugin(assemblyPath, folder);
            }
        }
        return catalog;
    }

    /// <summary>The sampler named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="UnknownSamplerException">No loaded plugin provides it; the message lists the available samplers and load problems.</exception>
    public LoadedSampler Get(string name) =>
        TryGet(name, out var sampler) ? sampler : throw new UnknownSamplerException(name, _samplers.Select(s => s.Name).ToList(), _problems);

    /// <summary>Looks a sampler up by name (case-insensitive).</summary>
    public bool TryGet(string name, out LoadedSampler sampler)
    {
        sampler = _samplers.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))!;
        return sampler is not null;
    }

    public void Dispose()
    {
        foreach (var loader in _loaders) loader.Dispose();
        _loaders.Clear();
    }

    private void LoadPlugin(string assemblyPath, string folder)
    {
        var fileName = Path.GetFileName(assemblyPath);
        var problemsBefore = _problems.Count;
        Version? contract;
        try
        {
            contract = ContractVersionReader.ReferencedContractVersion(assemblyPath);
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            _problems.Add(new(PluginProblemKind.LoadFailed, assemblyPath, $"Plugin '{fileName}' ({assemblyPath}) cannot be read as a .NET assembly: {e.Message}", e));
            return;
        }
        // No direct reference is possible (a factory deriving from a helper library's base class); loading decides then.
        if (contract is not null && contract.Major != SamplerContract.Version)
        {
            _problems.Add(new(PluginProblemKind.ContractVersionMismatch, assemblyPath,
                $"Plugin '{fileName}' ({assemblyPath}) was built against {ContractVersionReader.ContractAssemblyName} {contract} " +
                $"(contract version {contract.Major}) but this OnnxRay provides contract version {SamplerContract.Version}; rebuild the plugin against the current OnnxRay.Abstractions."));
            return;
        }

        PluginLoader loader;
        Assembly assembly;
        try
        {
            loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes);
            _loaders.Add(loader);
            assembly = loader.LoadDefaultAssembly();
        }
        catch (Exception e)
        {
            _problems.Add(Classify(e, assemblyPath, $"Plugin '{fileName}' could not be loaded"));
            return;
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            // Keep the types that did load; report why the others did not (typically a deleted dependency dll).
            var cause = e.LoaderExceptions.FirstOrDefault(x => x is not null) ?? e;
            _problems.Add(Classify(cause, assemblyPath, $"Plugin '{fileName}': some types could not be loaded"));
            types = e.Types.Where(t => t is not null).ToArray()!;
        }
        catch (Exception e)
        {
            _problems.Add(Classify(e, assemblyPath, $"Plugin '{fileName}': its types could not be enumerated"));
            return;
        }

        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var factoryTypes = types.Where(IsFactoryType).OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        foreach (var type in factoryTypes) LoadFactory(type, assemblyPath, folder, version);
        if (factoryTypes.Count == 0 && _problems.Count == problemsBefore)
            _problems.Add(new(PluginProblemKind.NoPluginAssembly, assemblyPath,
                $"'{fileName}' ({assemblyPath}) has no public {nameof(ISamplerFactory)} implementation with a parameterless constructor, so it is not a sampler plugin."));
    }

    private void LoadFactory(Type type, string assemblyPath, string folder, string version)
    {
        var fileName = Path.GetFileName(assemblyPath);
        LoadedSampler sampler;
        try
        {
            var factory = (ISamplerFactory)Activator.CreateInstance(type)!;
            var name = factory.Name;
            if (string.IsNullOrWhiteSpace(name)) throw new InvalidOperationException("its Name is empty.");
            var options = SamplerOptionBinder.Describe(factory);
            foreach (var option in options.Where(o => !SamplerOptionValues.IsSupported(o.ValueType)))
                throw new InvalidOperationException($"option '{option.Name}' has unsupported type {option.ValueType.Name} (supported: bool, int, long, double, string, enums, nullable of these).");
            sampler = new LoadedSampler(name, version, factory.Description ?? "", folder, assemblyPath, factory, options);
        }
        catch (Exception e)
        {
            var cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            _problems.Add(Classify(cause, assemblyPath, $"Plugin '{fileName}': sampler factory {type.FullName} failed", PluginProblemKind.FactoryFailed));
            return;
        }

        var existing = _samplers.FirstOrDefault(s => s.Name.Equals(sampler.Name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            _problems.Add(new(PluginProblemKind.DuplicateSamplerName, assemblyPath,
                $"Plugin '{fileName}' ({assemblyPath}) offers sampler '{sampler.Name}' ({type.FullName}), but '{Path.GetFileName(existing.AssemblyPath)}' " +
                $"({existing.AssemblyPath}) already provides it; the first one found is kept and this one is ignored."));
            return;
        }
        _samplers.Add(sampler);
    }

    private static bool IsFactoryType(Type type) =>
        type is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(ISamplerFactory).IsAssignableFrom(type)
                                                                 && type.GetConstructor(Type.EmptyTypes) is not null;

    private static PluginProblem Classify(Exception e, string assemblyPath, string what, PluginProblemKind otherwise = PluginProblemKind.LoadFailed)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is FileNotFoundException or FileLoadException)
            {
                var missing = (x as FileNotFoundException)?.FileName ?? (x as FileLoadException)?.FileName ?? "(unknown)";
                return new(PluginProblemKind.MissingDependency, assemblyPath,
                    $"{what} ({assemblyPath}): missing dependency '{missing}'. Copy it into '{Path.GetDirectoryName(assemblyPath)}' (publish the plugin with its dependencies).", x);
            }
        }
        return new(otherwise, assemblyPath, $"{what} ({assemblyPath}): {e.GetType().Name}: {e.Message}", e);
    }

    private static IEnumerable<string> PluginFolders(string root)
    {
        // A folder that is itself a plugin, or a folder of plugin folders.
        if (MainAssembly(root) is not null)
        {
            yield return root;
            yield break;
        }
        foreach (var sub in Directory.GetDirectories(root).Order(StringComparer.Ordinal)) yield return sub;
    }

    private static string? MainAssembly(string folder)
    {
        var byName = Path.Combine(folder, Path.GetFileName(folder) + ".dll");
        if (File.Exists(byName)) return byName;
        var deps = Directory.GetFiles(folder, "*.deps.json");
        if (deps.Length != 1) return null;
        var dll = Path.Combine(folder, Path.GetFileName(deps[0])[..^".deps.json".Length] + ".dll");
        return File.Exists(dll) ? dll : null;
    }
}
