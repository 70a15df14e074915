namespace OnnxRay.Sampling.Tests.Plugins;

/// <summary>
/// Two plugin search folders made from the built test plugins: <see cref="Primary"/> holds the good plugin;
/// <see cref="Secondary"/> holds one plugin per failure mode next to a duplicate-name plugin whose other sampler is fine.
/// </summary>
public sealed class TestPluginFolders : IDisposable
{
    public TestPluginFolders()
    {
        var build = PluginBuilds.TestPlugins;
        Root = Path.Combine(Path.GetTempPath(), $"onnxray-plugin-folders-{Guid.NewGuid():N}");
        Primary = Path.Combine(Root, "primary");
        Secondary = Path.Combine(Root, "secondary");
        PluginBuilds.InstallPlugin(build, "GoodPlugin", Primary);
        foreach (var project in new[] { "DuplicatePlugin", "ThrowingPlugin", "MissingDependencyPlugin", "FutureContractPlugin" })
            PluginBuilds.InstallPlugin(build, project, Secondary);
        // The missing dependency: MissingDependencyPlugin's factory derives from a class in PluginHelper.dll.
        var helper = Path.Combine(Secondary, "MissingDependencyPlugin", "PluginHelper.dll");
        if (!File.Exists(helper)) throw new InvalidOperationException($"expected {helper} in the build output");
        File.Delete(helper);
        // A folder with no assembly, and a "plugin" that is not a .NET assembly at all.
        Directory.CreateDirectory(Path.Combine(Secondary, "EmptyPlugin"));
        Directory.CreateDirectory(Path.Combine(Secondary, "Garbage"));
        File.WriteAllText(Path.Combine(Secondary, "Garbage", "Garbage.dll"), "this is not a PE file");
    }

    public string Root { get; }
    public string Primary { get; }
    public string Secondary { get; }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
