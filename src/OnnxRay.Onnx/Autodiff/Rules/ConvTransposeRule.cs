namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of ConvTranspose, the adjoint of a Conv from Y to X. Ȳ is first padded/cropped to the natural
/// (unpadded) output size, which absorbs pads, output_padding and output_shape; then X̄ = Conv(Ȳ, W) and W̄ is the
/// Conv weight gradient with the roles of input and output swapped. B̄ = ReduceSum(Ȳ).
/// </summary>
public sealed class ConvTransposeRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["ConvTranspose"];

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
        var g = ConvGeometry.ForConvTranspose(node, wShape[2..], xShape[2..], yShape[2..]);
        int n = g.SpatialRank;

        // Natural output = s(in−1) + (k−1)d + 1 = pb + out + tail, with tail = natural − pb − out (negative: Ȳ has extra cells).
        var padBegin = new long[n];
        var padEnd = new long[n];
        var cropStart = new long[n];
        var cropEnd = new long[n];
        bool crop = false;
        for (int i = 0; i < n; i++)
        {
            long natural = g.Strides[i] * (xShape[2 + i] - 1) + g.DilatedKernel(i);
            long begin = g.PadsBegin[i];
            long tail = natural - begin - yShape[2 + i];
            padBegin[i] = Math.Max(0, begin);
            padEnd[i] = Math.Max(0, tail);
            cropStart[i] = Math.Max(0, -begin);
            cropEnd[i] = yShape[2 + i] - Math.Max(0, -tail);
            crop |= begin < 0 || tail < 0;
        }
        string source = dy;
        var sourceShape = (long[])yShape.Clone();
        if (crop)
        {
            source = ctx.Op("Slice", [dy, ctx.ConstInt64(cropStart), ctx.ConstInt64(cropEnd), ctx.ConstInt64(Enumerable.Range(2, n).Select(i => (long)i).ToArray())]);
            for (int i = 0; i < n; i++) sourceShape[2 + i] = cropEnd[i] - cropStart[i];
        }
        var asConv = g with { PadsBegin = padBegin, PadsEnd = padEnd };

        if (ctx.NeedsInputGradient(0))
        {
            string dx = ctx.Op("Conv", [source, node.Input(1)],
                Attr.Int("group", group),
                Attr.Ints("strides", asConv.Strides),
                Attr.Ints("dilations", asConv.Dilations),
                Attr.Ints("pads", asConv.Pads));
            ctx.AddInputGradient(0, dx);
        }
        if (ctx.NeedsInputGradient(1))
            ctx.AddInputGradient(1, ConvWeightGradient.Emit(ctx, source, sourceShape, node.Input(0), xShape, asConv, group));
        if (node.HasInput(2) && ctx.NeedsInputGradient(2))
            ctx.AddInputGradient(2, ConvWeightGradient.Bias(ctx, dy, yShape.Length));
    }
}
