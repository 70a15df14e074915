using System.Diagnostics;
using OnnxRay.Testing;

namespace OnnxRay.Sampling.Tests.Plugins;

/// <summary>
/// Builds plugin projects with the real `dotnet build`, once per test process: the test plugins
/// (tests/TestPlugins/TestPlugins.slnx) in one invocation, the three built-in sampler plugins in another.
/// </summary>
internal static class PluginBuilds
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"onnxray-plugin-builds-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private static readonly Lazy<BuildResult> TestPluginsLazy = new(() => Build(Path.Combine(RepositoryPaths.Root, "tests", "TestPlugins", "TestPlugins.slnx"), "test-plugins"));
    private static readonly Lazy<BuildResult> BuiltInLazy = new(BuildBuiltIns);

    public static readonly string[] BuiltInPluginNames = ["OnnxRay.Samplers.RayTracing", "OnnxRay.Samplers.Hmc", "OnnxRay.Samplers.Metropolis"];

    static PluginBuilds() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    };

    /// <summary>The test plugins' build (throws with the build log if it failed: they are ours and must build).</summary>
    public static BuildResult TestPlugins
    {
        get
        {
            var result = TestPluginsLazy.Value;
            if (result.ExitCode != 0) throw new InvalidOperationException("Building tests/TestPlugins failed:\n" + result.Log);
            return result;
        }
    }

    /// <summary>The built-in plugins' build (may have failed, e.g. while a plugin is being written: callers skip).</summary>
    public static BuildResult BuiltIns => BuiltInLazy.Value;

    /// <summary>
    /// Copies a built project's output folder to <paramref name="destinationParent"/>/<paramref name="project"/>/,
    /// the layout a plugins folder has. Returns the new plugin folder.
    /// </summary>
    public static string InstallPlugin(BuildResult build, string project, string destinationParent)
    {
        var source = build.OutputFolder(project);
        var destination = Path.Combine(destinationParent, project);
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".pdb", StringComparison.Ordinal)) continue;
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        return destination;
    }

    private static BuildResult BuildBuiltIns()
    {
        // A throw-away solution listing the three plugin projects, so one `dotnet build` builds them all; a plugin
        // that does not compile yet leaves the others built.
        Directory.CreateDirectory(Root);
        var slnx = Path.Combine(Root, "BuiltInPlugins.slnx");
        File.WriteAllText(slnx, "<Solution>\n" + string.Concat(BuiltInPluginNames.Select(name =>
            $"  <Project Path=\"{Path.Combine(RepositoryPaths.Root, "plugins", name, name + ".csproj")}\" />\n")) + "</Solution>\n");
        return Build(slnx, "built-in");
    }

    private static BuildResult Build(string project, string name)
    {
        var artifacts = Path.Combine(Root, name);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "build", project, "-c", "Release", "--artifacts-path", artifacts, "--disable-build-servers",
                     "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:minimal", "-nologo",
                 })
            start.ArgumentList.Add(argument);
        // The test host's MSBuild variables would point the child build at the wrong SDK pieces.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new BuildResult(process.ExitCode, stdout + stderr.Result, artifacts);
    }
}

/// <summary>The outcome of one `dotnet build`.</summary>
internal sealed record BuildResult(int ExitCode, string Log, string ArtifactsPath)
{
    public string OutputFolder(string project) => Path.Combine(ArtifactsPath, "bin", project, "release");

    public bool Built(string project) => File.Exists(Path.Combine(OutputFolder(project), project + ".dll"));
}
