using OnnxRay.Abstractions;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Draws minibatches of B distinct example indices from N: shuffled epochs, batches taken in order, and a fresh
/// permutation when fewer than B examples remain. The state (random stream at the epoch start, position) is small and
/// restores the exact same sequence of batches.
/// </summary>
public sealed class MinibatchFeeder
{
    private readonly ChainRandom _random;
    private readonly int[] _permutation;
    private readonly byte[] _epochStartState = new byte[ChainRandom.StateSize];
    private int _position;

    public MinibatchFeeder(long dataSetSize, long batchSize, ChainRandom random)
    {
        if (batchSize <= 0 || batchSize > dataSetSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size {batchSize} must lie in [1, N = {dataSetSize}].");
        if (dataSetSize > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(dataSetSize), "too many examples for one feeder.");
        DataSetSize = dataSetSize;
        BatchSize = (int)batchSize;
        _random = random;
        _permutation = new int[dataSetSize];
        StartEpoch();
    }

    public long DataSetSize { get; }
    public int BatchSize { get; }

    /// <summary>Epochs started so far (1 after construction).</summary>
    public long Epoch { get; private set; }

    /// <summary>The next batch's indices (a view valid until the next call).</summary>
    public ReadOnlySpan<int> Next()
    {
        if (_position + BatchSize > _permutation.Length) StartEpoch();
        var batch = _permutation.AsSpan(_position, BatchSize);
        _position += BatchSize;
        return batch;
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_epochStartState);
        writer.Write(_position);
        writer.Write(Epoch);
    }

    public void RestoreState(BinaryReader reader)
    {
        var state = reader.ReadBytes(ChainRandom.StateSize);
        var position = reader.ReadInt32();
        var epoch = reader.ReadInt64();
        _random.RestoreState(state);
        StartEpoch();
        _position = position;
        Epoch = epoch;
    }

    private void StartEpoch()
    {
        _random.SaveState(_epochStartState);
        for (var i = 0; i < _permutation.Length; i++) _permutation[i] = i;
        _random.Shuffle(_permutation.AsSpan());
        _position = 0;
        Epoch++;
    }
}
