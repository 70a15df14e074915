using OnnxRay.Abstractions;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Cli.Commands;

/// <summary>
/// Runs a command body and turns OnnxRay's typed errors into one clear line on stderr and a non-zero exit code,
/// instead of a stack trace. Unexpected exceptions keep their stack trace (they are bugs).
/// </summary>
internal static class CliAction
{
    public const int UsageError = 2;
    public const int Failure = 1;
    public const int Cancelled = 130;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Stopped.");
            return Cancelled;
        }
        catch (OnnxRay.Sampling.Driver.RunSettingsException e) when (CommandLineOption(e.Setting) is { } option)
        {
            // The library names its setting ('chains'); the user typed an option (--chains): name that.
            Console.Error.WriteLine($"error: {option}: {e.Message}");
            return Failure;
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e is CliUsageException or SamplerOptionsException ? UsageError : Failure;
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(IsUserFacing))
        {
            // Waiting on a run wraps its chains' typed failures (one, or several at once): one line each.
            foreach (var inner in e.Flatten().InnerExceptions) Console.Error.WriteLine($"error: {inner.Message}");
            return Failure;
        }
    }

    private static string? CommandLineOption(string setting) => setting switch
    {
        "chains" or "warmup" or "draws" or "thin" or "chunk-size" or "jitter" or "precision" or "chain-index" => "--" + setting,
        "max-parallelism" => "--max-parallel",
        _ => null,
    };

    private static bool IsUserFacing(Exception e) =>
        e is OnnxRayException or SamplerOptionsException or CliUsageException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException;
}

/// <summary>A command-line argument that parses but makes no sense (names the option).</summary>
internal sealed class CliUsageException(string message) : Exception(message);
