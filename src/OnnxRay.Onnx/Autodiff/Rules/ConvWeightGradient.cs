namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// Exact weight gradient of a grouped N-D convolution, emitted as one Conv over transposed tensors
/// (reference §6.4): the batch axis becomes the channel axis so that the convolution sums over examples. On ORT's CPU
/// provider, where the shapes allow, that Conv runs on the blocked NCHWc kernels (<see cref="ConvWeightGradientNchwc"/>).
/// A 2-D Conv that reads the data (a first layer) gets a product with X's hoisted patch matrix instead
/// (<see cref="ConvWeightGradientPatches"/>).
/// </summary>
internal static class ConvWeightGradient
{
    /// <summary>
    /// W̄[o, c, k…] = Σ_n Σ_j X[n, g·Cg + c, j·s + k·d − pb] · Ȳ[n, o, j] for a Conv from <paramref name="input"/>
    /// ([N, C_in, in…]) to an output whose gradient is <paramref name="outputGradient"/> ([N, C_out, out…]).
    /// Returns a tensor of shape [C_out, C_in/G, k…].
    /// </summary>
    public static string Emit(GradientContext ctx, string input, long[] inputShape, string outputGradient, long[] outputShape,
        ConvGeometry geometry, long group)
    {
        int n = geometry.SpatialRank;
        long batch = inputShape[0], channelsIn = inputShape[1], channelsPerGroup = channelsIn / group;
        var spatialIn = inputShape[2..];
        var spatialOut = outputShape[2..];
        long[] swapFirstTwo = [1, 0, .. Enumerable.Range(2, n).Select(i => (long)i)];

        // The result holds k' ≥ k taps per axis; the extra ones only ever meet padding in the forward pass.
        var fullKernel = new long[n];
        bool crop = false;
        for (int i = 0; i < n; i++)
        {
            fullKernel[i] = (spatialIn[i] + geometry.PadsBegin[i] + geometry.PadsEnd[i] - (spatialOut[i] - 1) * geometry.Strides[i] - 1) / geometry.Dilations[i] + 1;
            crop |= fullKernel[i] != geometry.Kernel[i];
        }
        if (ConvWeightGradientPatches.Applies(ctx, input, inputShape, outputShape, geometry))
            return ConvWeightGradientPatches.Emit(ctx, input, inputShape, outputGradient, outputShape, geometry, group);
        if (ConvWeightGradientNchwc.Applies(ctx, inputShape, outputShape, group))
            return Crop(ctx, ConvWeightGradientNchwc.Emit(ctx, input, inputShape, outputGradient, outputShape, geometry, fullKernel), geometry, crop);

        // I = [C_in/G, G·N, in…]: channel index g·N + n, so group g of the new conv sees exactly group g of X.
        string regrouped;
        if (group == 1)
        {
            regrouped = SwapFirstTwo(ctx, input, inputShape, swapFirstTwo);
        }
        else
        {
            string split = ctx.Op("Reshape", [input, ctx.ConstInt64([batch, group, channelsPerGroup, .. spatialIn])]);
            string moved = ctx.Op("Transpose", [split], Attr.Ints("perm", [2, 1, 0, .. Enumerable.Range(3, n).Select(i => (long)i)]));
            regrouped = ctx.Op("Reshape", [moved, ctx.ConstInt64([channelsPerGroup, group * batch, .. spatialIn])]);
        }
        // F = [C_out, N, out…] used as the kernel; strides and dilations swap roles.
        string filter = SwapFirstTwo(ctx, outputGradient, outputShape, swapFirstTwo);
        string full = ctx.Op("Conv", [regrouped, filter],
            Attr.Int("group", group),
            Attr.Ints("strides", geometry.Dilations),
            Attr.Ints("dilations", geometry.Strides),
            Attr.Ints("pads", geometry.Pads));

        return SwapFirstTwo(ctx, Crop(ctx, full, geometry, crop), [channelsPerGroup, outputShape[1], .. geometry.Kernel], swapFirstTwo);
    }

    /// <summary>Slices the k' taps per axis of a full-size gradient down to the kernel's k (axes 2…).</summary>
    private static string Crop(GradientContext ctx, string full, ConvGeometry geometry, bool crop)
    {
        int n = geometry.SpatialRank;
        return crop
            ? ctx.Op("Slice", [full, ctx.ConstInt64(new long[n]), ctx.ConstInt64(geometry.Kernel), ctx.ConstInt64(Enumerable.Range(2, n).Select(i => (long)i).ToArray())])
            : full;
    }

    /// <summary>Swaps axes 0 and 1 of a tensor of <paramref name="shape"/>: a Reshape (no copy, no strided pass) when one of them has length 1 (batch 1, one input channel).</summary>
    internal static string SwapFirstTwo(GradientContext ctx, string value, long[] shape, long[] perm) =>
        shape[0] == 1 || shape[1] == 1
            ? ctx.Op("Reshape", [value, ctx.ConstInt64([shape[1], shape[0], .. shape[2..]])])
            : ctx.Op("Transpose", [value], Attr.Ints("perm", perm));

    /// <summary>B̄ = ReduceSum(Ȳ) over the batch and spatial axes: shape [C_out].</summary>
    public static string Bias(GradientContext ctx, string outputGradient, int rank) =>
        ctx.Op("ReduceSum", [outputGradient, ctx.ConstInt64([0, .. Enumerable.Range(2, rank - 2).Select(i => (long)i)])], Attr.Int("keepdims", 0));
}
