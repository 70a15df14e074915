namespace OnnxRay.Onnx.Prediction;

/// <summary>Posterior draws of θ, read one at a time (e.g. memory-mapped from a run folder). Reads may run concurrently.</summary>
public interface IDrawSource
{
    /// <summary>Number of draws M.</summary>
    int Count { get; }

    /// <summary>Length D of each draw.</summary>
    int Dimension { get; }

    /// <summary>Copies draw <paramref name="index"/> into <paramref name="destination"/> (length D).</summary>
    void Read(int index, Span<float> destination);
}

/// <summary>Draws held in memory (tests, small runs).</summary>
public sealed class InMemoryDraws(IReadOnlyList<float[]> draws) : IDrawSource
{
    public int Count => draws.Count;
    public int Dimension => draws.Count == 0 ? 0 : draws[0].Length;
    public void Read(int index, Span<float> destination) => draws[index].CopyTo(destination);
}
