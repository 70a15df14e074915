using System.Globalization;

namespace OnnxRay.Sampling.Driver;

/// <summary>
/// Which chain a cluster array task runs: <c>--chain-index I</c> explicitly, or the index the scheduler gives the
/// task (<c>JOB_COMPLETION_INDEX</c> in a Kubernetes Indexed Job, <c>SLURM_ARRAY_TASK_ID</c> in a Slurm job array).
/// Rules: a number selects that chain; <c>auto</c> requires one of the variables; <c>all</c> runs every chain even
/// inside an array job; with no option, array mode is on exactly when one of the variables is set (Kubernetes first),
/// so every task of the array can run the same command line. Indices are 0-based (Slurm: <c>--array=0-(K-1)</c>).
/// </summary>
/// <param name="Index">The chain this process runs.</param>
/// <param name="Source">Where the index came from ("--chain-index" or the variable's name).</param>
public sealed record ArrayTaskIndex(int Index, string Source)
{
    public const string KubernetesVariable = "JOB_COMPLETION_INDEX";
    public const string SlurmVariable = "SLURM_ARRAY_TASK_ID";

    /// <summary>Resolves the option value (null when absent) against the environment; null means "run every chain".</summary>
    /// <exception cref="RunSettingsException">The value or the variable is not a non-negative integer, or 'auto' without a variable.</exception>
    public static ArrayTaskIndex? Resolve(string? option, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var value = option?.Trim();
        if (string.Equals(value, "all", StringComparison.OrdinalIgnoreCase)) return null;
        if (value is null || string.Equals(value, "auto", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var variable in new[] { KubernetesVariable, SlurmVariable })
                if (environment(variable) is { Length: > 0 } text) return new ArrayTaskIndex(Parse(text, variable), variable);
            if (value is null) return null;
            throw new RunSettingsException("chain-index",
                $"is 'auto' but neither {KubernetesVariable} (Kubernetes Indexed Job) nor {SlurmVariable} (Slurm array) is set; give the index as a number.");
        }
        return new ArrayTaskIndex(Parse(value, "--chain-index"), "--chain-index");
    }

    private static int Parse(string text, string source) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw new RunSettingsException("chain-index", $"{source}='{text}' is not a chain index (a non-negative integer, 'auto' or 'all').");
}
