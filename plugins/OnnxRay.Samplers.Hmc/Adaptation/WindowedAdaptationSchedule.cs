namespace OnnxRay.Samplers.Hmc.Adaptation;

/// <summary>
/// Stan's warm-up window schedule (windowed_adaptation.hpp): a fast initial buffer, slow windows that double in
/// size (the last one stretched to the terminal buffer when the next would not fit), and a fast terminal buffer.
/// With fewer than 20 warm-up steps there is no metric adaptation; when the default buffers do not fit,
/// they become 15% / 75% / 10% of the warm-up.
/// </summary>
internal sealed class WindowedAdaptationSchedule
{
    /// <summary>Below this many warm-up steps the metric is not adapted.</summary>
    public const int MinimumWarmup = 20;

    public WindowedAdaptationSchedule(int warmupSteps, int initBuffer = 75, int baseWindow = 25, int termBuffer = 50)
    {
        WarmupSteps = warmupSteps;
        Enabled = warmupSteps >= MinimumWarmup;
        if (Enabled && initBuffer + baseWindow + termBuffer > warmupSteps)
        {
            initBuffer = (int)(0.15 * warmupSteps);
            termBuffer = (int)(0.1 * warmupSteps);
            baseWindow = warmupSteps - (initBuffer + termBuffer);
        }
        InitBuffer = initBuffer;
        BaseWindow = baseWindow;
        TermBuffer = termBuffer;
        Restart();
    }

    public int WarmupSteps { get; }
    public bool Enabled { get; }
    public int InitBuffer { get; }
    public int BaseWindow { get; }
    public int TermBuffer { get; }

    /// <summary>Warm-up steps seen so far.</summary>
    public int Counter { get; private set; }

    /// <summary>Size of the current slow window.</summary>
    public int WindowSize { get; private set; }

    /// <summary>Counter value at which the current slow window ends (inclusive).</summary>
    public int WindowEnd { get; private set; }

    private int SlowPhaseLast => WarmupSteps - TermBuffer - 1;

    public void Restart()
    {
        Counter = 0;
        WindowSize = BaseWindow;
        WindowEnd = InitBuffer + BaseWindow - 1;
    }

    /// <summary>The current step lies inside a slow window: its draw feeds the variance estimator.</summary>
    public bool InSlowWindow => Enabled && Counter >= InitBuffer && Counter < WarmupSteps - TermBuffer && Counter != WarmupSteps;

    /// <summary>The current step closes a slow window: the metric is updated now.</summary>
    public bool AtWindowEnd => Enabled && Counter == WindowEnd && Counter != WarmupSteps;

    /// <summary>Moves to the next window: double its size, stretching it to the slow phase's end when the one after would not fit.</summary>
    public void ComputeNextWindow()
    {
        if (WindowEnd == SlowPhaseLast) return;
        WindowSize *= 2;
        WindowEnd = Counter + WindowSize;
        if (WindowEnd != SlowPhaseLast && WindowEnd + 2 * WindowSize >= WarmupSteps - TermBuffer)
            WindowEnd = SlowPhaseLast;
    }

    /// <summary>Counts one warm-up step.</summary>
    public void Advance() => Counter++;

    /// <summary>The slow windows as half-open [start, end) ranges of warm-up step indices.</summary>
    public static IReadOnlyList<(int Start, int End)> SlowWindows(int warmupSteps, int initBuffer = 75, int baseWindow = 25, int termBuffer = 50)
    {
        var schedule = new WindowedAdaptationSchedule(warmupSteps, initBuffer, baseWindow, termBuffer);
        var windows = new List<(int, int)>();
        var start = -1;
        for (var i = 0; i < warmupSteps; i++)
        {
            if (schedule.InSlowWindow && start < 0) start = schedule.Counter;
            if (schedule.AtWindowEnd)
            {
                windows.Add((start, schedule.Counter + 1));
                start = -1;
                schedule.ComputeNextWindow();
            }
            schedule.Advance();
        }
        return windows;
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write("window-schedule");
        writer.Write(Counter);
        writer.Write(WindowSize);
        writer.Write(WindowEnd);
    }

    public void Restore(BinaryReader reader)
    {
        CheckpointIO.ExpectTag(reader, "window-schedule");
        Counter = reader.ReadInt32();
        WindowSize = reader.ReadInt32();
        WindowEnd = reader.ReadInt32();
    }
}
