namespace OnnxRay.Onnx.Autodiff;

/// <summary>Numpy (multidirectional) broadcasting of static shapes, and the axes to reduce when undoing it (§4 unreduce).</summary>
public static class Broadcasting
{
    /// <summary>The broadcast result shape, or null when the shapes are incompatible.</summary>
    public static long[]? Shape(IReadOnlyList<long[]> shapes)
    {
        var rank = shapes.Count == 0 ? 0 : shapes.Max(s => s.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++) result[i] = 1;
        foreach (var s in shapes)
        {
            for (var i = 0; i < s.Length; i++)
            {
                var ri = rank - s.Length + i;
                if (s[i] == 1) continue;
                if (result[ri] == 1) result[ri] = s[i];
                else if (result[ri] != s[i]) return null;
            }
        }
        return result;
    }

    /// <summary>
    /// Axes of a gradient with shape <paramref name="gradientShape"/> to sum so that it takes the shape
    /// <paramref name="operandShape"/>: the leading extra axes plus every axis where the operand has 1 and the gradient not.
    /// </summary>
    public static long[] ReductionAxes(long[] gradientShape, long[] operandShape)
    {
        var r = gradientShape.Length;
        var ra = operandShape.Length;
        if (ra > r) throw new InvalidOperationException($"Cannot unreduce a gradient of shape [{string.Join(",", gradientShape)}] to the larger rank shape [{string.Join(",", operandShape)}].");
        var axes = new List<long>();
        for (var i = 0; i < r - ra; i++) axes.Add(i);
        for (var i = r - ra; i < r; i++)
            if (operandShape[i - (r - ra)] == 1 && gradientShape[i] != 1) axes.Add(i);
        return axes.ToArray();
    }
}
