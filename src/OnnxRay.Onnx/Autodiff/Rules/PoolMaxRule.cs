namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of MaxPool (any spatial rank, pads, strides, dilations, ceil_mode). 2-D windows that tile the input exactly
/// take the index-free <see cref="PoolMaxTiledGradient"/>, which leaves the forward MaxPool on ORT's fast kernel.
/// Otherwise the forward node is re-emitted with its Indices output: where windows are disjoint (stride ≥ dilated
/// kernel on every axis), every input element is picked by at most one window and one MaxUnpool(Ȳ, Indices) places the
/// gradient; overlapping windows scatter-add Ȳ into a flat zero tensor at those indices, so they accumulate. Ties go to
/// the element the runtime picked.
/// </summary>
public sealed class PoolMaxRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["MaxPool"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public string? CheckSupported(NodeView node)
    {
        if (node.GetInt("storage_order", 0) != 0)
            return "MaxPool storage_order=1 (column-major Indices) has no gradient rule; export with the default row-major order";
        return ConvGeometry.CheckAutoPad(node);
    }

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        string x = node.Input(0);
        // A model that already asks for Indices pays for the slow kernel anyway; scattering at them is then cheaper.
        if (node.Output(1).Length == 0 && PoolMaxTiledGradient.Window(node, ctx.Shape(x), ctx.ElementType(x)) is { } window)
        {
            ctx.AddInputGradient(0, PoolMaxTiledGradient.Emit(ctx, x, node.Output(0), dy, window));
            return;
        }
        // Indices are positions in the flattened, unpadded input [N·C·∏spatial] (storage_order 0).
        string indices = ctx.ForwardOutput(1);
        var xShape = ctx.Shape(x);
        var ySpatial = ctx.Shape(node.Output(0))[2..];
        var geometry = ConvGeometry.ForWindowOp(node, node.GetInts("kernel_shape")!, xShape[2..], ySpatial);
        // One node instead of five (per-node cost dominates at small sizes); ORT's MaxUnpool has a float kernel only, and
        // the X shape it is given must not be smaller than the one its attributes imply (ceil_mode windows can overhang).
        bool disjoint = Enumerable.Range(0, geometry.SpatialRank).All(i => geometry.Strides[i] >= geometry.DilatedKernel(i)
            && (ySpatial[i] - 1) * geometry.Strides[i] + geometry.Kernel[i] - geometry.PadsBegin[i] - geometry.PadsEnd[i] <= xShape[2 + i]);
        if (disjoint && ctx.ElementType(x) == OnnxType.Float)
        {
            ctx.AddInputGradient(0, ctx.Op("MaxUnpool", [dy, indices, ctx.ConstInt64(xShape)],
                Attr.Ints("kernel_shape", geometry.Kernel), Attr.Ints("strides", geometry.Strides), Attr.Ints("pads", geometry.Pads)));
            return;
        }
        string flatShape = ctx.ConstInt64(-1);
        string zeros = ctx.Op("Reshape", [ctx.ZerosLike(x), flatShape]);
        string scattered = ctx.Op("ScatterElements",
            [zeros, ctx.Op("Reshape", [indices, flatShape]), ctx.Op("Reshape", [dy, flatShape])],
            Attr.Int("axis", 0), Attr.String("reduction", "add"));
        ctx.AddInputGradient(0, ctx.Op("Reshape", [scattered, ctx.ConstInt64(xShape)]));
    }
}
