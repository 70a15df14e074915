namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// One parameter tensor: a slice [Offset, Offset + Length) of the flat θ reshaped to <see cref="Shape"/>.
/// <see cref="IsInitializer"/> is false for parameters the density adds itself (the learned noise scale log_sigma).
/// </summary>
public sealed record ParameterTensor(string Name, long[] Shape, int Offset, int Length, long FanIn, int ElementType, bool IsInitializer = true)
{
    /// <summary>Fan-in as used by the gaussian-fanin prior: product of dims[1:] for rank ≥ 2, else 1.</summary>
    public static long FanInOf(IReadOnlyList<long> shape) => shape.Count >= 2 ? shape.Skip(1).Aggregate(1L, (a, d) => a * d) : 1;

    public override string ToString() => $"{Name} [{string.Join(",", Shape)}] @ {Offset}+{Length}";
}
