using System.Diagnostics;

namespace OnnxRay.Benchmarks;

/// <summary>
/// Runs a timed body until .NET's tiered JIT has had the chance to recompile it (and what it calls) at full
/// optimisation, so a benchmark measures the steady state a long-running host sees. The runtime promotes a method after
/// 30 calls and compiles it in the background after a short delay, which a loaded machine stretches: measured on the
/// predictor, 3 warm-up calls left its C# aggregation 5–15× slower than steady state, while ORT's native kernels
/// (the baseline) need no warm-up at all.
/// </summary>
public static class JitWarmup
{
    /// <summary>Calls <paramref name="body"/> at least <paramref name="minCalls"/> times and for at least <paramref name="minMilliseconds"/>, at most <paramref name="maxMilliseconds"/>.</summary>
    public static void Run(Action body, int minCalls = 60, int minMilliseconds = 500, int maxMilliseconds = 5000)
    {
        var elapsed = Stopwatch.StartNew();
        for (var calls = 0; elapsed.ElapsedMilliseconds < maxMilliseconds && (calls < minCalls || elapsed.ElapsedMilliseconds < minMilliseconds); calls++)
            body();
    }
}
