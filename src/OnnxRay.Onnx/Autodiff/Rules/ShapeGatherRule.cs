namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of Gather on any axis with negative and repeated indices (repeats accumulate):
/// X̄ = ScatterND(zeros, Unsqueeze(idx_norm, −1), Ȳ, reduction="add") with the gathered axis moved to the front.
/// Only the data input carries gradient.
/// </summary>
public sealed class ShapeGatherRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Gather"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        string x = node.Input(0), indices = node.Input(1);
        var xShape = ctx.Shape(x);
        int rank = xShape.Length;
        int q = ctx.Shape(indices).Length;
        int axis = (int)node.GetInt("axis", 0);
        if (axis < 0) axis += rank;

        // idx_norm = idx + dim where idx < 0, as int64 (ScatterND needs int64 indices).
        string idx = ctx.ElementType(indices) == OnnxType.Int64 ? indices : ctx.Op("Cast", [indices], Attr.Int("to", OnnxType.Int64));
        string negative = ctx.Op("Less", [idx, ctx.ConstScalar(0, OnnxType.Int64)]);
        string normalized = ctx.Op("Where", [negative, ctx.Op("Add", [idx, ctx.ConstScalar(xShape[axis], OnnxType.Int64)]), idx]);
        string scatterIndices = ctx.Op("Unsqueeze", [normalized, ctx.ConstInt64(-1)]);

        string zeros = ctx.ZerosLike(x);
        string updates = dy;
        long[]? fromFront = null;
        if (axis != 0)
        {
            // Data: axis a first. Ȳ: its index block (positions a … a+q−1) first, the rest in order.
            long[] dataPerm = [axis, .. Enumerable.Range(0, rank).Where(i => i != axis).Select(i => (long)i)];
            int yRank = rank - 1 + q;
            long[] gradPerm = [.. Enumerable.Range(axis, q).Select(i => (long)i),
                .. Enumerable.Range(0, yRank).Where(i => i < axis || i >= axis + q).Select(i => (long)i)];
            zeros = ctx.Op("Transpose", [zeros], Attr.Ints("perm", dataPerm));
            if (q > 0) updates = ctx.Op("Transpose", [dy], Attr.Ints("perm", gradPerm));
            fromFront = new long[rank];
            for (int i = 0; i < rank; i++) fromFront[dataPerm[i]] = i;
        }
        string dx = ctx.Op("ScatterND", [zeros, scatterIndices, updates], Attr.String("reduction", "add"));
        if (fromFront is not null) dx = ctx.Op("Transpose", [dx], Attr.Ints("perm", fromFront));
        ctx.AddInputGradient(0, dx);
    }
}
