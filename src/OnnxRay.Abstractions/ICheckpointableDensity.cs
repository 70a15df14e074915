namespace OnnxRay.Abstractions;

/// <summary>
/// A log density with state of its own (e.g. a minibatch feeder's epoch permutation and position).
/// The driver saves it in each chain's checkpoint so that a resumed chain sees the same batches.
/// </summary>
public interface ICheckpointableDensity
{
    void SaveState(BinaryWriter writer);
    void RestoreState(BinaryReader reader);
}
