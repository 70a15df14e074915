using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OnnxRay.Benchmarks;

/// <summary>
/// Clocks for timing on a loaded, shared machine: the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID, Linux;
/// wall time elsewhere), which other processes perturb far less than wall time, and the whole process's CPU time
/// (every thread, for work spread over threads).
/// </summary>
public static class CpuClock
{
    /// <summary>µs of CPU the calling thread has used.</summary>
    public static double ThreadMicroseconds() =>
        OperatingSystem.IsLinux() && clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var ts) == 0
            ? ts.Seconds * 1e6 + ts.Nanoseconds / 1e3
            : WallMicroseconds();

    /// <summary>µs of CPU every thread of this process has used.</summary>
    public static double ProcessMicroseconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalMicroseconds;
    }

    /// <summary>µs of elapsed time.</summary>
    public static double WallMicroseconds() => Stopwatch.GetTimestamp() * 1e6 / Stopwatch.Frequency;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
}
