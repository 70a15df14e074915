namespace OnnxRay.Benchmarks;

/// <summary>The machine's 1-, 5- and 15-minute load averages, printed with every figure because the machine is shared.</summary>
public static class LoadAverage
{
    /// <summary>"a b c" from /proc/loadavg, or "n/a" where there is none.</summary>
    public static string Now()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
