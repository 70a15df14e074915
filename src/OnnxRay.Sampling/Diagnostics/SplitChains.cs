namespace OnnxRay.Sampling.Diagnostics;

/// <summary>
/// Cuts each chain in half (samplers.md §5.1): M chains of N draws become 2M chains of ⌊N/2⌋ draws.
/// For odd N the middle draw is dropped, as the `posterior` R package does.
/// </summary>
public static class SplitChains
{
    /// <summary>The split chains, first halves and second halves in chain order: [c0a, c0b, c1a, c1b, …].</summary>
    public static double[][] Split(IReadOnlyList<double[]> chains)
    {
        var (m, n) = DrawMatrix.Shape(chains);
        if (n < 2) return chains.Select(c => (double[])c.Clone()).ToArray();
        var half = n / 2;
        var secondStart = n - half; // skips the middle draw when n is odd
        var result = new double[2 * m][];
        for (var c = 0; c < m; c++)
        {
            result[2 * c] = chains[c].AsSpan(0, half).ToArray();
            result[2 * c + 1] = chains[c].AsSpan(secondStart, half).ToArray();
        }
        return result;
    }
}
