using System.Diagnostics;
using System.Text;
using OnnxRay.Testing;

namespace OnnxRay.Cli.Tests;

/// <summary>The result of one <c>onnxray</c> child process.</summary>
public sealed record CliResult(int ExitCode, string StdOut, string StdErr, string CommandLine)
{
    public override string ToString() => $"$ onnxray {CommandLine}\nexit {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
}

/// <summary>
/// Locates the built <c>onnxray</c> tool (a folder with onnxray.dll and plugins/) and runs it as a real child process.
/// Looks in the artifacts layout next to the test assembly (<c>--artifacts-path</c> builds), then the classic
/// <c>src/OnnxRay.Cli/bin/Release/net10.0/</c> output; otherwise builds it once into a temporary folder.
/// </summary>
public static class CliTool
{
    private static readonly Lazy<string> ToolDirLazy = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Per-test timeout for one command.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    public static string ToolDir => ToolDirLazy.Value;

    public static string Dll => Path.Combine(ToolDir, "onnxray.dll");

    /// <summary>A fresh, empty temporary folder (removed by the OS temp cleaner; tests delete it when they can).</summary>
    public static string NewTempFolder(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"onnxray-clitest-{prefix}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static bool IsToolDir(string dir) =>
        File.Exists(Path.Combine(dir, "onnxray.dll")) && Directory.Exists(Path.Combine(dir, "plugins"))
        && Directory.EnumerateDirectories(Path.Combine(dir, "plugins")).Any();

    private static string Locate()
    {
        var candidates = new List<string>();
        // Artifacts layout: <artifacts>/bin/OnnxRay.Cli.Tests/release/ → <artifacts>/bin/OnnxRay.Cli/release/
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var config = testDir.Name; // e.g. "release" or "net10.0"
        if (testDir.Parent?.Parent is { } binRoot)
        {
            candidates.Add(Path.Combine(binRoot.FullName, "OnnxRay.Cli", config));
            candidates.Add(Path.Combine(binRoot.FullName, "OnnxRay.Cli", "release"));
        }
        candidates.Add(Path.Combine(RepositoryPaths.Root, "src", "OnnxRay.Cli", "bin", "Release", "net10.0"));
        foreach (var c in candidates)
            if (IsToolDir(c)) return Path.GetFullPath(c);

        var outDir = Path.Combine(Path.GetTempPath(), $"onnxray-clitest-build-{Environment.ProcessId}");
        var build = RunProcess("dotnet", ["build", Path.Combine(RepositoryPaths.Root, "src", "OnnxRay.Cli"), "-c", "Release", "-o", outDir],
            RepositoryPaths.Root, TimeSpan.FromMinutes(10));
        if (build.ExitCode != 0 || !IsToolDir(outDir))
            throw new InvalidOperationException($"Could not find or build the onnxray tool (looked in {string.Join(", ", candidates)}).\n{build}");
        return outDir;
    }

    /// <summary>Runs <c>dotnet onnxray.dll ARGS</c> in <paramref name="workingDirectory"/> and waits for it.</summary>
    public static CliResult Run(params string[] args) => RunIn(RepositoryPaths.Root, DefaultTimeout, args);

    public static CliResult RunIn(string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunProcess("dotnet", [Dll, .. args], workingDirectory, timeout) with { CommandLine = string.Join(" ", args) };

    /// <summary>Starts <c>dotnet onnxray.dll ARGS</c> without waiting (the caller kills or waits for it).</summary>
    public static Process Start(params string[] args)
    {
        var process = Process.Start(StartInfo("dotnet", [Dll, .. args], RepositoryPaths.Root)) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string workingDirectory)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("ONNXRAY_PLUGINS");
        return info;
    }

    /// <summary>Runs any process to completion (killing its tree at <paramref name="timeout"/>).</summary>
    public static CliResult RunProcess(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var argList = args.ToList();
        using var process = Process.Start(StartInfo(file, argList, workingDirectory)) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(" ", argList)} did not finish within {timeout}.\nstdout: {stdout.Result}\nstderr: {stderr.Result}");
        }
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result, $"{file} {string.Join(" ", argList)}");
    }

    /// <summary>Asserts exit code 0 and returns the result.</summary>
    public static CliResult RunOk(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }
}
