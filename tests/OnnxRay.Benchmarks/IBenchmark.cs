namespace OnnxRay.Benchmarks;

/// <summary>
/// One benchmark, run by name: `dotnet run -c Release --project tests/OnnxRay.Benchmarks -- NAME [args]`.
/// Benchmarks report ratios measured within one run (ours vs a baseline on the same machine), never absolute limits.
/// </summary>
public interface IBenchmark
{
    /// <summary>Name used on the command line.</summary>
    string Name { get; }

    /// <summary>One line shown by `-- list`.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark, prints a table, and returns a process exit code.</summary>
    int Run(string[] args);
}
