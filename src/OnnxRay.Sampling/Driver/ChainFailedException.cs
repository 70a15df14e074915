using OnnxRay.Onnx.Errors;

namespace OnnxRay.Sampling.Driver;

/// <summary>
/// A chain stopped with an error (its kernel or density threw). Its last checkpoint is kept; the other chains were
/// stopped cleanly with a checkpoint, so the run can be resumed once the cause is fixed.
/// </summary>
public sealed class ChainFailedException(int chain, Exception inner)
    : OnnxRayException($"Chain {chain} failed: {inner.GetType().Name}: {inner.Message}", inner)
{
    public int Chain { get; } = chain;
}
