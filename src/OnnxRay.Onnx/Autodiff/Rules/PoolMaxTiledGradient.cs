using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Index-free VJP of a float 2-D MaxPool whose kh×kw windows tile the input exactly (kernel = strides, no pads, unit
/// dilations, H and W multiples of the window). Asking ORT's MaxPool for Indices switches it to a generic kernel
/// several times slower than the plain one, so the forward node stays as it is and the backward finds each window's
/// first maximum (row-major window order, where MaxPool's Indices point at ties) with fast kernels only:
///   isMax = X == Resize(Y)                 (nearest, ×[kh, kw]: every tap equal to its window's maximum)
///   key   = isMax · (1 + maxOffset − offset)  (offset = a·W + b of tap (a, b) inside its window; distinct per tap, ≥ 1)
///   first = MaxPool(key)                   (the largest key is the tied tap with the smallest offset)
///   index = windowStart + maxOffset + 1 − first;  dX = MaxUnpool(Ȳ, index)
/// Offsets are small integers, exact in float; the int64 window starts come from Range ops that ORT folds to a constant.
/// </summary>
internal static class PoolMaxTiledGradient
{
    /// <summary>
    /// Below this many input elements the Indices form is cheaper: its slow kernel costs little on small tensors and it
    /// runs fewer nodes (measured on ORT 1.31 CPU, digits CNN pool shapes: equal at ≈ 4–6 k elements; at 98 k the
    /// index-free form costs half).
    /// </summary>
    public const long MinElements = 8192;

    /// <summary>The window [kh, kw] when <paramref name="node"/> (input <paramref name="xShape"/>) tiles its input, else null.</summary>
    public static long[]? Window(NodeView node, long[] xShape, int elementType)
    {
        // ORT's MaxUnpool has a float kernel only.
        if (xShape.Length != 4 || elementType != OnnxType.Float || xShape.Aggregate(1L, (a, b) => a * b) < MinElements) return null;
        if (node.GetInts("kernel_shape") is not [var kh, var kw]) return null;
        if (node.GetInts("strides") is not [var sh, var sw] || sh != kh || sw != kw) return null;
        if (node.GetInts("dilations") is { } d && d.Any(v => v != 1)) return null;
        // SAME_* could pad; explicit pads must all be zero.
        if (node.GetString("auto_pad", "NOTSET") is not ("NOTSET" or "VALID")) return null;
        if (node.GetInts("pads") is { } p && p.Any(v => v != 0)) return null;
        return xShape[2] % kh == 0 && xShape[3] % kw == 0 ? [kh, kw] : null;
    }

    public static string Emit(GradientContext ctx, string x, string y, string dy, long[] window)
    {
        var s = ctx.Shape(x);
        long kh = window[0], kw = window[1], width = s[3], maxOffset = (kh - 1) * width + kw - 1;
        var pool = new[] { Attr.Ints("kernel_shape", window), Attr.Ints("strides", window) };

        var scales = new TensorProto { DataType = OnnxType.Float };
        scales.Dims.Add(4);
        scales.FloatData.AddRange([1f, 1f, kh, kw]);
        // asymmetric + floor maps output i to input ⌊i / k⌋ exactly (and takes ORT's fast 2× path).
        string yUp = ctx.Op("Resize", [y, "", ctx.Const(scales)],
            Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor"));
        string isMax = ctx.Op("Cast", [ctx.Op("Equal", [x, yUp])], Attr.Int("to", OnnxType.Float));
        // Keys repeated over channels (an Expand that ORT folds): broadcasting over N alone runs in long spans.
        string keys = ctx.Op("Expand", [ctx.Const(TapKeys(s[2], width, kh, kw, maxOffset)), ctx.ConstInt64(1, s[1], s[2], width)]);
        string key = ctx.Op("Mul", [isMax, keys]);
        // A window holding NaN has no tap equal to its maximum and a key of 0; 1 sends it to the window's last tap, in range.
        string first = ctx.Op("Max", [ctx.Op("MaxPool", [key], pool), ctx.ConstScalar(1)]);
        string index = ctx.Op("Sub", [WindowEnds(ctx, s, kh, kw, maxOffset), ctx.Op("Cast", [first], Attr.Int("to", OnnxType.Int64))]);
        return ctx.Op("MaxUnpool", [dy, index, ctx.ConstInt64(s)], pool);
    }

    /// <summary>[1, 1, H, W] float: 1 + maxOffset − (a·W + b) for the tap at row a, column b of its window.</summary>
    private static TensorProto TapKeys(long height, long width, long kh, long kw, long maxOffset)
    {
        var t = new TensorProto { DataType = OnnxType.Float };
        t.Dims.AddRange([1, 1, height, width]);
        for (long i = 0; i < height; i++)
            for (long j = 0; j < width; j++)
                t.FloatData.Add(1 + maxOffset - ((i % kh) * width + j % kw));
        return t;
    }

    /// <summary>
    /// [N, C, h, w] int64: flat index in X of each window's first tap, plus maxOffset + 1 (so that subtracting a key
    /// gives the tap's index): a Range of row starts plus a Range of column starts, folded by ORT at session creation
    /// rather than stored in the graph.
    /// </summary>
    private static string WindowEnds(GradientContext ctx, long[] s, long kh, long kw, long maxOffset)
    {
        long total = s[0] * s[1] * s[2] * s[3], rowStep = kh * s[3];
        string rows = ctx.Op("Range",
            [ctx.ConstScalar(maxOffset + 1, OnnxType.Int64), ctx.ConstScalar(total + maxOffset + 1, OnnxType.Int64), ctx.ConstScalar(rowStep, OnnxType.Int64)]);
        string columns = ctx.Op("Range",
            [ctx.ConstScalar(0, OnnxType.Int64), ctx.ConstScalar(s[3], OnnxType.Int64), ctx.ConstScalar(kw, OnnxType.Int64)]);
        return ctx.Op("Add", [ctx.Op("Reshape", [rows, ctx.ConstInt64(s[0], s[1], s[2] / kh, 1)]), columns]);
    }
}
