namespace OnnxRay.Sampling.Driver;

/// <summary>What a call of <see cref="SamplingRun.RunAsync"/> achieved.</summary>
/// <param name="FolderPath">The run folder.</param>
/// <param name="Chains">Outcome per chain, index = chain number.</param>
/// <param name="DrawsStored">Committed draws per chain (index = chain number) after this call.</param>
public sealed record SamplingRunResult(string FolderPath, IReadOnlyList<ChainOutcome> Chains, IReadOnlyList<long> DrawsStored)
{
    /// <summary>Every chain has all its draws.</summary>
    public bool IsComplete => Chains.All(c => c is ChainOutcome.Completed or ChainOutcome.AlreadyCompleted);

    /// <summary>At least one chain stopped early; resume the run folder to continue.</summary>
    public bool WasInterrupted => Chains.Any(c => c == ChainOutcome.Interrupted);
}
