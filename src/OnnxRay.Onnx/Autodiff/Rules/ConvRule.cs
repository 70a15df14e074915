namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Conv (1-, 2- and 3-D; strides, dilations, symmetric/asymmetric pads, auto_pad, groups incl. depthwise).
/// X̄ = ConvTranspose(Ȳ, W) with output_padding chosen to restore X's size, or on CPU sessions where the blocked kernels
/// pay a Conv of Ȳ with the flipped filter (stride 1); W̄ via <see cref="ConvWeightGradient"/>;
/// B̄ = ReduceSum(Ȳ) over batch and spatial axes.
/// </summary>
public sealed class ConvRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Conv"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1 or 2;

    public string? CheckSupported(NodeView node) => ConvGeometry.CheckAutoPad(node);

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null) return;
        var xShape = ctx.Shape(node.Input(0));
        var wShape = ctx.Shape(node.Input(1));
        var yShape = ctx.Shape(node.Output(0));
        long group = node.GetInt("group", 1);
        var g = ConvGeometry.ForWindowOp(node, wShape[2..], xShape[2..], yShape[2..]);

        if (ctx.NeedsInputGradient(0))
            ctx.AddInputGradient(0, FlippedFilterConvApplies(ctx, xShape, wShape, group, g)
                ? FlippedFilterConv(ctx, dy, xShape, wShape, g)
                : TransposedConv(ctx, dy, xShape, yShape, group, g));
        if (ctx.NeedsInputGradient(1))
            ctx.AddInputGradient(1, ConvWeightGradient.Emit(ctx, node.Input(0), xShape, dy, yShape, g, group));
        if (node.HasInput(2) && ctx.NeedsInputGradient(2))
            ctx.AddInputGradient(2, ConvWeightGradient.Bias(ctx, dy, yShape.Length));
    }

    /// <summary>X̄ = ConvTranspose(Ȳ, W), output_padding chosen to restore X's size.</summary>
    private static string TransposedConv(GradientContext ctx, string dy, long[] xShape, long[] yShape, long group, ConvGeometry g)
    {
        var outputPadding = new long[g.SpatialRank];
        for (int i = 0; i < g.SpatialRank; i++)
            outputPadding[i] = xShape[2 + i] - ((yShape[2 + i] - 1) * g.Strides[i] + g.DilatedKernel(i) - g.PadsBegin[i] - g.PadsEnd[i]);
        // ConvTranspose's weight layout [C_in_ct, C_out_ct/G, k] is Conv's [C_out, C_in/G, k]: W passes unchanged.
        return ctx.Op("ConvTranspose", [dy, ctx.Node.Input(1)],
            Attr.Int("group", group),
            Attr.Ints("strides", g.Strides),
            Attr.Ints("dilations", g.Dilations),
            Attr.Ints("pads", g.Pads),
            Attr.Ints("output_padding", outputPadding));
    }

    /// <summary>
    /// With stride 1 the input gradient is itself a convolution: Conv(Ȳ, F) with F[c, o, k] = W[o, c, K−1−k] (channels
    /// swapped, taps flipped), same dilations, pads (K−1)·d − p per side. Emitted only where
    /// <see cref="NchwcConvLowering"/> will put that Conv on the blocked kernels (a standard Conv measured no faster than
    /// ConvTranspose), so only on CPU sessions; ungrouped 2-D float convolutions whose pads fit inside the dilated kernel.
    /// </summary>
    private static bool FlippedFilterConvApplies(GradientContext ctx, long[] xShape, long[] wShape, long group, ConvGeometry g) =>
        ctx.NchwcBlockSize is { } block && group == 1 && g.SpatialRank == 2 && g.Strides.All(s => s == 1)
        && Enumerable.Range(0, 2).All(i => g.PadsBegin[i] < g.DilatedKernel(i) && g.PadsEnd[i] < g.DilatedKernel(i))
        && ctx.ElementType(ctx.Node.Input(1)) == OnnxType.Float
        && NchwcConvLowering.Pays(wShape[0], wShape[1], xShape[0] * xShape[2] * xShape[3], block);

    /// <remarks>Slice and Conv go through DomainOp (default domain) so that their shapes are recorded for the lowering pass.</remarks>
    private static string FlippedFilterConv(GradientContext ctx, string dy, long[] xShape, long[] wShape, ConvGeometry g)
    {
        long[] filterShape = [wShape[1], wShape[0], .. wShape[2..]];
        string filter = ConvWeightGradient.SwapFirstTwo(ctx, ctx.Node.Input(1), wShape, [1, 0, 2, 3]);
        if (g.Kernel.Any(k => k > 1))
            filter = ctx.DomainOp("", "Slice", [filter, ctx.ConstInt64(-1, -1), ctx.ConstInt64(long.MinValue, long.MinValue), ctx.ConstInt64(2, 3), ctx.ConstInt64(-1, -1)],
                filterShape, OnnxType.Float);
        var pads = new long[4];
        for (int i = 0; i < 2; i++)
        {
            pads[i] = g.DilatedKernel(i) - 1 - g.PadsBegin[i];
            pads[i + 2] = g.DilatedKernel(i) - 1 - g.PadsEnd[i];
        }
        return ctx.DomainOp("", "Conv", [dy, filter], xShape, OnnxType.Float,
            Attr.Ints("kernel_shape", g.Kernel),
            Attr.Ints("dilations", g.Dilations),
            Attr.Ints("pads", pads));
    }
}
