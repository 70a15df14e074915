using OnnxRay.Onnx.IO;

namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Weight gradient of a 2-D Conv whose input X is computed from the data alone (a first layer), as one matrix product
/// with X's patch matrix P (im2col): W̄[o, (c, k)] = Σ_(n, j) Ȳ[n, o, j] · P[(c, k), (n, j)]. P is emitted from X
/// alone (a depthwise Conv with one-hot filters, then a Transpose), so the runner hoists it out of every evaluation
/// (<c>DataOnlyPart</c>); what stays per run is a Transpose of Ȳ and a Gemm, instead of ORT's im2col Conv with the
/// whole Ȳ as its kernel (slow: digits_cnn conv1 at batch 256 took ~650 µs that way).
/// </summary>
internal static class ConvWeightGradientPatches
{
    /// <summary>
    /// True for a float 2-D Conv whose input is data-only, when the graph's runner hoists data-only values and P fits
    /// its limit (<see cref="GradientContext.HoistLimitBytes"/>).
    /// </summary>
    public static bool Applies(GradientContext ctx, string input, long[] inputShape, long[] outputShape, ConvGeometry geometry) =>
        geometry.SpatialRank == 2 && ctx.HoistLimitBytes is { } limit && ctx.IsDataOnly(input) && ctx.ElementType(input) == OnnxType.Float
        && PatchElements(inputShape, outputShape, geometry) * sizeof(float) <= limit;

    /// <summary>Returns W̄ of shape [C_out, C_in/G, kh, kw].</summary>
    public static string Emit(GradientContext ctx, string input, long[] inputShape, string outputGradient, long[] outputShape,
        ConvGeometry geometry, long group)
    {
        long channelsIn = inputShape[1], channelsOut = outputShape[1];
        long columns = inputShape[0] * outputShape[2] * outputShape[3]; // N·L

        // Ȳ as [G, C_out/G, N·H'·W'] (the batch next to the positions, as in P's columns).
        string swapped = ConvWeightGradient.SwapFirstTwo(ctx, outputGradient, outputShape, [1, 0, 2, 3]);
        string patches = Patches(ctx, input, inputShape, outputShape, geometry, group);
        if (group == 1)
        {
            // [C_out, N·L] · [C_in·K, N·L]ᵀ: the Gemm form measured fastest for the first conv (few rows, long columns).
            string dy = ctx.Op("Reshape", [swapped, ctx.ConstInt64([channelsOut, columns])]);
            string product = ctx.Op("Gemm", [dy, patches], Attr.Int("transB", 1));
            return ctx.Op("Reshape", [product, ctx.ConstInt64([channelsOut, channelsIn, .. geometry.Kernel])]);
        }
        string grouped = ctx.Op("Reshape", [swapped, ctx.ConstInt64([group, channelsOut / group, columns])]);
        string perGroup = ctx.Op("MatMul", [grouped, patches]); // [G, C_out/G, C_in/G·K]
        return ctx.Op("Reshape", [perGroup, ctx.ConstInt64([channelsOut, channelsIn / group, .. geometry.Kernel])]);
    }

    /// <summary>
    /// P of X: [C_in·K, N·L] for one group, [G, N·L, C_in/G·K] for several (ready for a batched MatMul). Row (c, k) of
    /// the depthwise Conv's output is X[n, c, j·s + k·d − p] (zero in the padding), the layout of W's [c, kh, kw].
    /// </summary>
    private static string Patches(GradientContext ctx, string input, long[] inputShape, long[] outputShape, ConvGeometry geometry, long group)
    {
        long batch = inputShape[0], channelsIn = inputShape[1];
        long taps = geometry.Kernel[0] * geometry.Kernel[1], positions = outputShape[2] * outputShape[3];
        var oneHot = new float[channelsIn * taps * taps];
        for (long c = 0; c < channelsIn; c++)
            for (long k = 0; k < taps; k++)
                oneHot[(c * taps + k) * taps + k] = 1f;
        var filters = TensorData.FromFloats("", [channelsIn * taps, 1, geometry.Kernel[0], geometry.Kernel[1]], oneHot);
        string columns = ctx.Op("Conv", [input, ctx.Const(filters)],
            Attr.Int("group", channelsIn),
            Attr.Ints("kernel_shape", geometry.Kernel),
            Attr.Ints("strides", geometry.Strides),
            Attr.Ints("dilations", geometry.Dilations),
            Attr.Ints("pads", geometry.Pads)); // [N, C_in·K, H', W']
        if (group == 1)
        {
            string byRow = ctx.Op("Reshape", [columns, ctx.ConstInt64([batch, channelsIn * taps, positions])]);
            string moved = batch == 1 ? byRow : ctx.Op("Transpose", [byRow], Attr.Ints("perm", [1, 0, 2]));
            return ctx.Op("Reshape", [moved, ctx.ConstInt64([channelsIn * taps, batch * positions])]);
        }
        long rows = channelsIn / group * taps;
        string split = ctx.Op("Reshape", [columns, ctx.ConstInt64([batch, group, rows, positions])]);
        string transposed = ctx.Op("Transpose", [split], Attr.Ints("perm", [1, 0, 3, 2])); // [G, N, L, rows]
        return ctx.Op("Reshape", [transposed, ctx.ConstInt64([group, batch * positions, rows])]);
    }

    private static long PatchElements(long[] inputShape, long[] outputShape, ConvGeometry geometry) =>
        inputShape[1] * geometry.Kernel[0] * geometry.Kernel[1] * inputShape[0] * outputShape[2] * outputShape[3];
}
