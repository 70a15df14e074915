namespace OnnxRay.Sampling.Driver;

/// <summary>A progress report of one chain (sent at most a few times per second per chain, and at every phase change).</summary>
/// <param name="Chain">Chain index.</param>
/// <param name="Phase">Current phase.</param>
/// <param name="StepsDone">Transitions done in this phase (warm-up steps, or sampling transitions including thinned ones).</param>
/// <param name="StepsTotal">Transitions this phase takes in all.</param>
/// <param name="DrawsDone">Stored draws so far.</param>
/// <param name="DrawsTotal">Stored draws the chain will have.</param>
/// <param name="StepsPerSecond">Transitions per second in this process.</param>
/// <param name="AcceptanceRate">Mean acceptance probability over this phase so far.</param>
/// <param name="StepSize">Step size of the last transition.</param>
/// <param name="LogDensity">log p after the last transition.</param>
/// <param name="Divergences">Divergent transitions in this phase so far.</param>
/// <param name="Eta">Estimated time to the chain's end (null until a rate is known).</param>
public readonly record struct ChainProgress(
    int Chain,
    ChainPhase Phase,
    long StepsDone,
    long StepsTotal,
    long DrawsDone,
    long DrawsTotal,
    double StepsPerSecond,
    double AcceptanceRate,
    double StepSize,
    double LogDensity,
    long Divergences,
    TimeSpan? Eta);
