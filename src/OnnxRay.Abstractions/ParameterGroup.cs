namespace OnnxRay.Abstractions;

/// <summary>A named contiguous slice [Offset, Offset + Length) of the flat parameter vector.</summary>
public readonly record struct ParameterGroup(string Name, int Offset, int Length)
{
    /// <summary>The single group covering all of θ.</summary>
    public static IReadOnlyList<ParameterGroup> Whole(int dimension) => [new ParameterGroup("all", 0, dimension)];
}
