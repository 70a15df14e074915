namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Gradient of pure data-movement ops by "index mapping": the forward op is applied once more to an int64 tensor
/// holding each element's own flat position, which tells where every output element came from; Ȳ is then
/// scatter-added to those positions. The runtime itself resolves every attribute subtlety (negative, clamped and
/// stepped Slice bounds, negative Pad, axes inputs), and the rule needs no constant values at build time.
/// </summary>
internal static class ShapeIndexMap
{
    /// <summary>An int64 tensor of shape <paramref name="shape"/> whose elements are 0, 1, …, |shape|−1 in row-major order.</summary>
    public static string Positions(GradientContext ctx, long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        string range = ctx.Op("Range", [ctx.ConstScalar(0, OnnxType.Int64), ctx.ConstScalar(count, OnnxType.Int64), ctx.ConstScalar(1, OnnxType.Int64)]);
        return ctx.Op("Reshape", [range, ctx.ConstInt64(shape)]);
    }

    /// <summary>
    /// Adds Ȳ into a zero tensor of <paramref name="inputShape"/> at the flat positions <paramref name="sourcePositions"/>
    /// (shaped like Ȳ). Positions equal to |X| (a sentinel for "came from no input element", e.g. padding) are dropped.
    /// </summary>
    public static string ScatterAdd(GradientContext ctx, string outputGradient, string sourcePositions, long[] inputShape,
        string inputLike, bool withSentinel)
    {
        long count = inputShape.Aggregate(1L, (a, b) => a * b);
        string flat = ctx.ConstInt64(-1);
        string zeros = ctx.Op("Reshape", [ctx.ZerosLike(inputLike), flat]);
        if (withSentinel)
        {
            // One extra slot collects everything routed to the sentinel position.
            zeros = ctx.Op("Concat", [zeros, ctx.Op("Slice", [zeros, ctx.ConstInt64(0), ctx.ConstInt64(1)])], Attr.Int("axis", 0));
        }
        string scattered = ctx.Op("ScatterElements",
            [zeros, ctx.Op("Reshape", [sourcePositions, flat]), ctx.Op("Reshape", [outputGradient, flat])],
            Attr.Int("axis", 0), Attr.String("reduction", "add"));
        if (withSentinel)
            scattered = ctx.Op("Slice", [scattered, ctx.ConstInt64(0), ctx.ConstInt64(count)]);
        return ctx.Op("Reshape", [scattered, ctx.ConstInt64(inputShape)]);
    }
}
