namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Conv (1-, 2- and 3-D; strides, dilations, symmetric/asymmetric pads, auto_pad, groups incl. depthwise).
/// X̄ = ConvTranspose(Ȳ, W) with output_padding chosen to restore X's size; W̄ via <see cref="ConvWeightGradient"/>;
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
        {
            var outputPadding = new long[g.SpatialRank];
            for (int i = 0; i < g.SpatialRank; i++)
                outputPadding[i] = xShape[2 + i] - ((yShape[2 + i] - 1) * g.Strides[i] + g.DilatedKernel(i) - g.PadsBegin[i] - g.PadsEnd[i]);
            // ConvTranspose's weight layout [C_in_ct, C_out_ct/G, k] is Conv's [C_out, C_in/G, k]: W passes unchanged.
            string dx = ctx.Op("ConvTranspose", [dy, node.Input(1)],
                Attr.Int("group", group),
                Attr.Ints("strides", g.Strides),
                Attr.Ints("dilations", g.Dilations),
                Attr.Ints("pads", g.Pads),
                Attr.Ints("output_padding", outputPadding));
            ctx.AddInputGradient(0, dx);
        }
        if (ctx.NeedsInputGradient(1))
            ctx.AddInputGradient(1, ConvWeightGradient.Emit(ctx, node.Input(0), xShape, dy, yShape, g, group));
        if (node.HasInput(2) && ctx.NeedsInputGradient(2))
            ctx.AddInputGradient(2, ConvWeightGradient.Bias(ctx, dy, yShape.Length));
    }
}
