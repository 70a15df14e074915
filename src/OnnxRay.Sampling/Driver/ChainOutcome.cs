namespace OnnxRay.Sampling.Driver;

/// <summary>How a chain ended in this process.</summary>
public enum ChainOutcome
{
    /// <summary>All draws stored.</summary>
    Completed,

    /// <summary>It had already completed before this process (resume skipped it).</summary>
    AlreadyCompleted,

    /// <summary>Stopped by cancellation (or because another chain failed) after writing a checkpoint.</summary>
    Interrupted,

    /// <summary>Not run in this process (excluded by <see cref="SamplingRun.OnlyChains"/>).</summary>
    NotRun,
}
