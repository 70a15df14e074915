namespace OnnxRay.Sampling.Driver;

/// <summary>Where a chain is in its schedule.</summary>
public enum ChainPhase
{
    Warmup = 0,
    Sampling = 1,
    Done = 2,
}
