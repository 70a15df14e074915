using System.Diagnostics;
using System.Text;

namespace OnnxRay.Hosting.Tests.Support;

/// <summary>
/// The real <c>onnxray</c> tool: ONNXRAY_CLI_DLL, else the build next to this test assembly in the same artifacts folder
/// (&lt;artifacts&gt;/bin/OnnxRay.Cli/&lt;config&gt;/onnxray.dll), else the plain solution build
/// (src/OnnxRay.Cli/bin/&lt;Config&gt;/net10.0/onnxray.dll, what <c>dotnet test OnnxRay.sln</c> produces); null when none exists.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static string? ToolPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("ONNXRAY_CLI_DLL") is { Length: > 0 } given && File.Exists(given)) return given;
            // bin/OnnxRay.Hosting.Tests/release/ → bin/OnnxRay.Cli/release/onnxray.dll
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var artifacts = Path.Combine(here.Parent!.Parent!.FullName, "OnnxRay.Cli", here.Name, "onnxray.dll");
            if (File.Exists(artifacts)) return artifacts;
            // tests/OnnxRay.Hosting.Tests/bin/Release/net10.0/ → src/OnnxRay.Cli/bin/Release/net10.0/onnxray.dll
            var solution = Path.Combine(OnnxRay.Testing.RepositoryPaths.Root, "src", "OnnxRay.Cli", "bin", here.Parent.Name, here.Name, "onnxray.dll");
            return File.Exists(solution) ? solution : null;
        }
    }

    private CliProcess(string tool, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stdout) _stdout.AppendLine(e.Data);
            const string marker = "listening on ";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) _listening.TrySetResult(e.Data[(at + marker.Length)..].Split(' ')[0]);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static CliProcess Start(string tool, params string[] arguments) => new(tool, arguments);

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>The address the service printed, or null if the process exited (or the time ran out) first.</summary>
    public async Task<string?> WaitForAddressAsync(TimeSpan limit)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_listening.Task, exited, Task.Delay(limit));
        return first == _listening.Task ? await _listening.Task : null;
    }

    /// <summary>The exit code, or null when it did not exit in time.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            _process.WaitForExit(); // flushes the redirected streams
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        // Only this process (by its own handle), never anything found by name.
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
