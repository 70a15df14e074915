using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of AveragePool (pads, strides, ceil_mode, count_include_pad 0/1, dilations): Ȳ is divided by a build-time
/// count map and spread back over each window with a depthwise ConvTranspose of ones.
/// </summary>
public sealed class PoolAverageRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["AveragePool"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public string? CheckSupported(NodeView node) => ConvGeometry.CheckAutoPad(node);

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        var xShape = ctx.Shape(node.Input(0));
        var yShape = ctx.Shape(node.Output(0));
        int n = xShape.Length - 2;
        var kernel = node.GetInts("kernel_shape") ?? throw new InvalidOperationException($"{node}: kernel_shape is required");
        var g = ConvGeometry.ForWindowOp(node, kernel, xShape[2..], yShape[2..]);
        bool includePad = node.GetInt("count_include_pad", 0) != 0;

        string scaled = ctx.Op("Div", [dy, ctx.Const(CountMap(g, xShape[2..], yShape[2..], includePad))]);

        // Under ceil_mode the last window may reach past the end padding; widen the end pad so that the
        // transposed convolution's natural size covers it, then output_padding restores X's size.
        var padsEnd = new long[n];
        var outputPadding = new long[n];
        for (int i = 0; i < n; i++)
        {
            long span = (yShape[2 + i] - 1) * g.Strides[i] + g.DilatedKernel(i);
            padsEnd[i] = Math.Max(g.PadsEnd[i], span - xShape[2 + i] - g.PadsBegin[i]);
            outputPadding[i] = xShape[2 + i] + g.PadsBegin[i] + padsEnd[i] - span;
        }
        long channels = xShape[1];
        var ones = new TensorProto { DataType = OnnxType.Float };
        ones.Dims.AddRange([channels, 1, .. kernel]);
        long count = channels * kernel.Aggregate(1L, (a, b) => a * b);
        for (long i = 0; i < count; i++) ones.FloatData.Add(1f);

        string dx = ctx.Op("ConvTranspose", [scaled, ctx.Const(ones)],
            Attr.Int("group", channels),
            Attr.Ints("strides", g.Strides),
            Attr.Ints("dilations", g.Dilations),
            Attr.Ints("pads", [.. g.PadsBegin, .. padsEnd]),
            Attr.Ints("output_padding", outputPadding));
        ctx.AddInputGradient(0, dx);
    }

    /// <summary>
    /// Divisor of every output position, shaped [1, 1, out…]: the window taps inside [0, in) when padding is excluded,
    /// or inside [−pb, in + pe) when it is counted (taps past the end padding under ceil_mode never count).
    /// </summary>
    internal static TensorProto CountMap(ConvGeometry g, long[] inputSpatial, long[] outputSpatial, bool includePad)
    {
        int n = g.SpatialRank;
        var perAxis = new long[n][];
        for (int i = 0; i < n; i++)
        {
            perAxis[i] = new long[outputSpatial[i]];
            long lo = includePad ? -g.PadsBegin[i] : 0, hi = includePad ? inputSpatial[i] + g.PadsEnd[i] : inputSpatial[i];
            for (long o = 0; o < outputSpatial[i]; o++)
                for (long t = 0; t < g.Kernel[i]; t++)
                {
                    long p = o * g.Strides[i] - g.PadsBegin[i] + t * g.Dilations[i];
                    if (p >= lo && p < hi) perAxis[i][o]++;
                }
        }
        var map = new TensorProto { DataType = OnnxType.Float };
        map.Dims.AddRange([1, 1, .. outputSpatial]);
        long total = outputSpatial.Aggregate(1L, (a, b) => a * b);
        var index = new long[n];
        for (long flat = 0; flat < total; flat++)
        {
            long rest = flat, product = 1;
            for (int i = n - 1; i >= 0; i--) { index[i] = rest % outputSpatial[i]; rest /= outputSpatial[i]; }
            for (int i = 0; i < n; i++) product *= perAxis[i][index[i]];
            // An empty window cannot occur in a valid pooling; guard against division by zero anyway.
            map.FloatData.Add(Math.Max(1, product));
        }
        return map;
    }
}
