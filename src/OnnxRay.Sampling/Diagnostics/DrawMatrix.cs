namespace OnnxRay.Sampling.Diagnostics;

/// <summary>Shape checks for draws laid out as [chains][draws].</summary>
internal static class DrawMatrix
{
    /// <summary>R's .Machine$double.eps, the tolerance `posterior` uses for "constant".</summary>
    public const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>Returns (chains, draws per chain); throws if the chains are empty or of unequal length.</summary>
    public static (int Chains, int Draws) Shape(IReadOnlyList<double[]> chains, string parameterName = "chains")
    {
        ArgumentNullException.ThrowIfNull(chains, parameterName);
        if (chains.Count == 0) throw new ArgumentException("at least one chain is needed", parameterName);
        var draws = chains[0].Length;
        for (var m = 1; m < chains.Count; m++)
        {
            if (chains[m].Length != draws)
                throw new ArgumentException($"chain {m} has {chains[m].Length} draws, chain 0 has {draws}; chains must be equally long", parameterName);
        }
        return (chains.Count, draws);
    }

    /// <summary>All draws of all chains in one array, chain after chain.</summary>
    public static double[] Pool(IReadOnlyList<double[]> chains)
    {
        var (m, n) = Shape(chains);
        var pooled = new double[m * n];
        for (var c = 0; c < m; c++) chains[c].CopyTo(pooled, c * n);
        return pooled;
    }

    /// <summary>Reshapes a pooled array back into <paramref name="chains"/> chains.</summary>
    public static double[][] Unpool(double[] pooled, int chains)
    {
        var n = pooled.Length / chains;
        var result = new double[chains][];
        for (var c = 0; c < chains; c++) result[c] = pooled.AsSpan(c * n, n).ToArray();
        return result;
    }

    /// <summary>
    /// The `posterior` package's test for "no meaningful diagnostic": any NaN/±∞, or all draws equal
    /// (max − min below machine epsilon).
    /// </summary>
    public static bool IsConstantOrNonFinite(IReadOnlyList<double[]> chains)
    {
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var chain in chains)
        {
            foreach (var x in chain)
            {
                if (!double.IsFinite(x)) return true;
                if (x < min) min = x;
                if (x > max) max = x;
            }
        }
        return max - min < MachineEpsilon;
    }
}
