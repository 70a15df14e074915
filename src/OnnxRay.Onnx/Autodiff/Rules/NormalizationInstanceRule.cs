namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of InstanceNormalization: statistics per (example, channel) over the spatial axes.
/// With x̂ = (X − μ)·inv and ĝ = Ȳ·scale: X̄ = inv·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)); scale̅ = Σ Ȳ·x̂; B̄ = Σ Ȳ.
/// </summary>
public sealed class NormalizationInstanceRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["InstanceNormalization"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1 or 2;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null) return;
        string x = node.Input(0), scale = node.Input(1);
        var xShape = ctx.Shape(x);
        int rank = xShape.Length;
        int type = ctx.ElementType(x);
        string spatialAxes = ctx.ConstInt64(Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray());
        string channelShape = ctx.ConstInt64([1, xShape[1], .. Enumerable.Repeat(1L, rank - 2)]);

        // Recompute the statistics exactly as the forward op defines them (biased variance).
        string mu = ctx.Op("ReduceMean", [x, spatialAxes], Attr.Int("keepdims", 1));
        string centered = ctx.Op("Sub", [x, mu]);
        string variance = ctx.Op("ReduceMean", [ctx.Op("Mul", [centered, centered]), spatialAxes], Attr.Int("keepdims", 1));
        string inv = ctx.Op("Reciprocal", [ctx.Op("Sqrt", [ctx.Op("Add", [variance, ctx.ConstScalar(node.GetFloat("epsilon", 1e-5f), type)])])]);
        string normalized = ctx.Op("Mul", [centered, inv]);

        if (ctx.NeedsInputGradient(0))
        {
            string gHat = ctx.Op("Mul", [dy, ctx.Op("Reshape", [scale, channelShape])]);
            string meanG = ctx.Op("ReduceMean", [gHat, spatialAxes], Attr.Int("keepdims", 1));
            string meanGx = ctx.Op("ReduceMean", [ctx.Op("Mul", [gHat, normalized]), spatialAxes], Attr.Int("keepdims", 1));
            string inner = ctx.Op("Sub", [ctx.Op("Sub", [gHat, meanG]), ctx.Op("Mul", [normalized, meanGx])]);
            ctx.AddInputGradient(0, ctx.Op("Mul", [inv, inner]));
        }
        string batchAndSpatial = ctx.ConstInt64([0, .. Enumerable.Range(2, rank - 2).Select(i => (long)i)]);
        if (ctx.NeedsInputGradient(1))
            ctx.AddInputGradient(1, ctx.Op("ReduceSum", [ctx.Op("Mul", [dy, normalized]), batchAndSpatial], Attr.Int("keepdims", 0)));
        if (ctx.NeedsInputGradient(2))
            ctx.AddInputGradient(2, ctx.Op("ReduceSum", [dy, batchAndSpatial], Attr.Int("keepdims", 0)));
    }
}
