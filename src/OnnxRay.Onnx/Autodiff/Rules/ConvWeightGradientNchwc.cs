namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// The weight-gradient convolution of <see cref="ConvWeightGradient"/> on ORT's blocked CPU kernels
/// (<see cref="NchwcKernels"/>): its "channels" are the batch, N·(C_out) of them, which the im2col + GEMM Conv that a
/// non-constant filter gets handles poorly (digits_cnn conv2 at batch 256: about 3× faster with the reorders included).
/// Used for 2-D, ungrouped float convolutions whose batch and output channels are multiples of the block B, so that
/// nothing needs padding:
///   input   Xᵀ [C_in, N, H, W] reordered to NCHWc (ReorderInput, N as channels),
///   filter  Ȳᵀ [C_out, N, h, w] in the OIHWBiBo layout MLAS expects, [C_out/B, N/B, h, w, B_i, B_o], by one batched 2-D
///           transpose of Ȳ seen as [N/B, B·C_out, h·w] (and one more when C_out spans several blocks),
///   output  [C_in, C_out/B, k…, B], transposed to [C_out, C_in, k…].
/// </summary>
internal static class ConvWeightGradientNchwc
{
    /// <summary>The element type is the weight's (input 1 of Conv and ConvTranspose): emitted values may have none recorded.</summary>
    public static bool Applies(GradientContext ctx, long[] inputShape, long[] outputShape, long group) =>
        ctx.NchwcBlockSize is { } block && group == 1 && inputShape.Length == 4
        && inputShape[0] % block == 0 && outputShape[1] % block == 0 && ctx.ElementType(ctx.Node.Input(1)) == OnnxType.Float;

    /// <summary>The full-size weight gradient [C_out, C_in, k'…] (the caller crops k' to the kernel).</summary>
    public static string Emit(GradientContext ctx, string input, long[] inputShape, string outputGradient, long[] outputShape,
        ConvGeometry geometry, long[] fullKernel)
    {
        long block = ctx.NchwcBlockSize!.Value;
        long batch = inputShape[0], channelsIn = inputShape[1], channelsOut = outputShape[1];
        long taps = outputShape[2] * outputShape[3], blocksOut = channelsOut / block;

        string transposedInput = ConvWeightGradient.SwapFirstTwo(ctx, input, inputShape, [1, 0, 2, 3]);
        string blockedInput = ctx.DomainOp(NchwcKernels.Domain, "ReorderInput", [transposedInput],
            [channelsIn, batch, .. inputShape[2..]], OnnxType.Float);

        // [N/B, B_i·C_out, h·w] → [N/B, h·w, B_i, C_out/B, B_o]; then the output blocks to the front.
        string filter = ctx.Op("Transpose", [ctx.Op("Reshape", [outputGradient, ctx.ConstInt64(batch / block, block * channelsOut, taps)])],
            Attr.Ints("perm", [0, 2, 1]));
        if (blocksOut > 1)
            filter = ctx.Op("Transpose", [ctx.Op("Reshape", [filter, ctx.ConstInt64(batch / block, taps * block, blocksOut, block)])],
                Attr.Ints("perm", [2, 0, 1, 3]));
        filter = ctx.Op("Reshape", [filter, ctx.ConstInt64([channelsOut, batch, .. outputShape[2..]])]);

        string blocked = ctx.DomainOp(NchwcKernels.Domain, "Conv", [blockedInput, filter], [channelsIn, channelsOut, .. fullKernel], OnnxType.Float,
            Attr.Ints("kernel_shape", outputShape[2..]),
            Attr.Ints("strides", geometry.Dilations),
            Attr.Ints("dilations", geometry.Strides),
            Attr.Ints("pads", geometry.Pads),
            Attr.Int("group", 1));
        // [C_in, C_out/B, k'h·k'w, B_o] → [C_out/B, B_o, C_in, k'h·k'w] = [C_out, C_in, k'…]
        string unblocked = ctx.Op("Transpose", [ctx.Op("Reshape", [blocked, ctx.ConstInt64(channelsIn, blocksOut, fullKernel[0] * fullKernel[1], block)])],
            Attr.Ints("perm", [1, 3, 0, 2]));
        return ctx.Op("Reshape", [unblocked, ctx.ConstInt64([channelsOut, channelsIn, .. fullKernel])]);
    }
}
