using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests;

/// <summary>`dotnet pack` + `dotnet tool install` from the local package: the installed `onnxray` finds its plugins and example.</summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Packaging")]
public sealed class PackagingTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);

    [SkippableFact]
    public void Tool_installs_from_the_local_package_and_runs()
    {
        var root = CliTool.NewTempFolder("pack");
        try
        {
            var nupkg = Path.Combine(root, "nupkg");
            // Own artifacts folder: never touches the working tree's bin/obj (other builds may be running there).
            var pack = CliTool.RunProcess("dotnet",
                ["pack", Path.Combine(RepositoryPaths.Root, "src", "OnnxRay.Cli"), "-c", "Release", "-o", nupkg,
                 "--artifacts-path", Path.Combine(root, "artifacts"), "-p:NuGetAudit=false"],
                RepositoryPaths.Root, Slow);
            if (pack.ExitCode != 0)
            {
                var tail = Tail(pack.StdOut + pack.StdErr);
                // Restore needs the package feed; that is the environment, not the project.
                Skip.If(IsEnvironmentFailure(tail), $"dotnet pack failed for a reason outside the test (package feed unreachable):\n{tail}");
                Assert.Fail($"dotnet pack failed:\n{tail}");
            }
            var package = Assert.Single(Directory.GetFiles(nupkg, "OnnxRay.Cli.*.nupkg"));
            var version = Path.GetFileNameWithoutExtension(package)["OnnxRay.Cli.".Length..];

            var tools = Path.Combine(root, "tools");
            var install = CliTool.RunProcess("dotnet",
                ["tool", "install", "--tool-path", tools, "--add-source", nupkg, "--version", version, "--ignore-failed-sources", "OnnxRay.Cli"],
                root, Slow);
            Assert.True(install.ExitCode == 0, install.ToString());
            var onnxray = Path.Combine(tools, OperatingSystem.IsWindows() ? "onnxray.exe" : "onnxray");
            Assert.True(File.Exists(onnxray), $"{onnxray} was not installed\n{install}");

            var plugins = CliTool.RunProcess(onnxray, ["plugins"], root, TimeSpan.FromMinutes(2));
            Assert.True(plugins.ExitCode == 0, plugins.ToString());
            foreach (var name in new[] { "raytracing", "hmc", "metropolis" }) Assert.Contains(name, plugins.StdOut);

            // The bundled example (shipped inside the package) with the cheap gradient-free sampler.
            var ex = Path.Combine(root, "ex");
            var example = CliTool.RunProcess(onnxray, ["example", "--out", ex, "--sampler", "metropolis"], root, Slow);
            Assert.True(example.ExitCode == 0, example.ToString());
            Assert.True(File.Exists(Path.Combine(ex, "manifest.json")), example.ToString());
            Assert.True(File.Exists(Path.Combine(ex, "diagnostics.json")), example.ToString());
            Assert.True(File.Exists(Path.Combine(ex, "predictions.csv")), example.ToString());
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(ex, "chain-0"), "draws-*.npy"));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static bool IsEnvironmentFailure(string output) =>
        output.Contains("NU1301", StringComparison.Ordinal) || output.Contains("NU1101", StringComparison.Ordinal)
        || output.Contains("Unable to load the service index", StringComparison.Ordinal)
        || output.Contains("No space left on device", StringComparison.Ordinal);

    private static string Tail(string text, int chars = 3000) => text.Length <= chars ? text : "…" + text[^chars..];
}
