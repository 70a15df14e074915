using System.Runtime.CompilerServices;

namespace OnnxRay.Testing;

/// <summary>Locates the repository root (the folder holding OnnxRay.sln) from a test's working directory.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>Absolute path of the repository root.</summary>
    public static string Root => RootLazy.Value;

    /// <summary>Absolute path of models/ (committed models, data sets and reference values).</summary>
    public static string Models => Path.Combine(Root, "models");

    /// <summary>The Debian libonnx-testdata folder, or null when the package is not installed.</summary>
    public static string? OnnxTestData =>
        Directory.Exists("/usr/share/libonnx-testdata/data") ? "/usr/share/libonnx-testdata/data" : null;

    private static string FindRoot()
    {
        // The compiler records this file's path, so tests find the repository even when built into a separate artifacts folder.
        var fromSource = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourceFile())!, "..", ".."));
        if (File.Exists(Path.Combine(fromSource, "OnnxRay.sln"))) return fromSource;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OnnxRay.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OnnxRay.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Cannot find OnnxRay.sln above " + AppContext.BaseDirectory);
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
