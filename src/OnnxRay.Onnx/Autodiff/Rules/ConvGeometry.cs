namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Resolved spatial geometry of a Conv, ConvTranspose or pooling node: kernel, strides, dilations and explicit
/// begin/end pads per spatial axis, with <c>auto_pad</c> turned into numbers from the static probe shapes.
/// </summary>
internal sealed record ConvGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] PadsBegin, long[] PadsEnd)
{
    public int SpatialRank => Kernel.Length;

    /// <summary>Pads in ONNX attribute order: all begins, then all ends.</summary>
    public long[] Pads => [.. PadsBegin, .. PadsEnd];

    /// <summary>Extent of one dilated window along <paramref name="axis"/>.</summary>
    public long DilatedKernel(int axis) => (Kernel[axis] - 1) * Dilations[axis] + 1;

    /// <summary>Null when auto_pad is a known value, else the reason.</summary>
    public static string? CheckAutoPad(NodeView node) =>
        node.GetString("auto_pad", "NOTSET") is "NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"
            ? null
            : $"auto_pad '{node.GetString("auto_pad", "")}' is not an ONNX value";

    /// <summary>
    /// Geometry of a forward window op (Conv, MaxPool, AveragePool) mapping input spatial sizes
    /// <paramref name="inputSpatial"/> to <paramref name="outputSpatial"/> with windows of size <paramref name="kernel"/>.
    /// </summary>
    public static ConvGeometry ForWindowOp(NodeView node, long[] kernel, long[] inputSpatial, long[] outputSpatial)
    {
        int n = kernel.Length;
        var strides = node.GetInts("strides") ?? Ones(n);
        var dilations = node.GetInts("dilations") ?? Ones(n);
        var begin = new long[n];
        var end = new long[n];
        switch (node.GetString("auto_pad", "NOTSET"))
        {
            case "SAME_UPPER":
            case "SAME_LOWER":
                bool lower = node.GetString("auto_pad", "") == "SAME_LOWER";
                for (int i = 0; i < n; i++)
                {
                    // ONNX: total = (out−1)·s + (k−1)·d + 1 − in; the odd cell goes to the end (UPPER) or the beginning (LOWER).
                    long total = Math.Max(0, (outputSpatial[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inputSpatial[i]);
                    begin[i] = lower ? total - total / 2 : total / 2;
                    end[i] = total - begin[i];
                }
                break;
            case "VALID":
                break;
            default:
                var pads = node.GetInts("pads");
                if (pads is { Length: > 0 })
                {
                    Array.Copy(pads, 0, begin, 0, n);
                    Array.Copy(pads, n, end, 0, n);
                }
                break;
        }
        return new ConvGeometry(kernel, strides, dilations, begin, end);
    }

    /// <summary>
    /// Geometry of a ConvTranspose from input spatial sizes <paramref name="inputSpatial"/> to the observed output sizes
    /// <paramref name="outputSpatial"/>. PadsEnd is derived so that begin + end = full + output_padding − out, which also
    /// covers <c>output_shape</c> (pads recomputed by the runtime) and outputs larger than the natural size (negative end).
    /// </summary>
    public static ConvGeometry ForConvTranspose(NodeView node, long[] kernel, long[] inputSpatial, long[] outputSpatial)
    {
        int n = kernel.Length;
        var strides = node.GetInts("strides") ?? Ones(n);
        var dilations = node.GetInts("dilations") ?? Ones(n);
        var outputPadding = node.GetInts("output_padding") ?? new long[n];
        var autoPad = node.GetString("auto_pad", "NOTSET");
        bool derivedPads = node.Attribute("output_shape") is not null || autoPad is "SAME_UPPER" or "SAME_LOWER";
        var explicitPads = node.GetInts("pads");
        var begin = new long[n];
        var end = new long[n];
        for (int i = 0; i < n; i++)
        {
            long natural = strides[i] * (inputSpatial[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
            long total = natural - outputSpatial[i];
            if (derivedPads)
            {
                // As the ONNX spec says (and ORT 1.31 does; the rule tests pin it): SAME_UPPER puts the odd cell at the
                // end, SAME_LOWER and plain output_shape put it at the beginning.
                long t = Math.Max(0, total);
                begin[i] = autoPad == "SAME_UPPER" ? t / 2 : t - t / 2;
            }
            else if (autoPad != "VALID" && explicitPads is { Length: > 0 })
            {
                begin[i] = explicitPads[i];
            }
            end[i] = total - begin[i];
        }
        return new ConvGeometry(kernel, strides, dilations, begin, end);
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();
}
