namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// MatMul with numpy semantics (§6.3): 1-D operands are promoted, batch axes broadcast and are unreduced.
/// A 2-D weight multiplied by a batched input gets its gradient from one Gemm over the flattened batch.
/// </summary>
public sealed class MatrixProductMatMulRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["MatMul"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var a = node.Input(0);
        var b = node.Input(1);
        var sa = ctx.Shape(a);
        var sb = ctx.Shape(b);
        var needA = ctx.NeedsInputGradient(0);
        var needB = ctx.NeedsInputGradient(1);

        if (sa.Length == 1 && sb.Length == 1)
        {
            if (needA) ctx.AddInputGradient(0, ctx.Op("Mul", [dy, b]));
            if (needB) ctx.AddInputGradient(1, ctx.Op("Mul", [dy, a]));
            return;
        }
        if (sa.Length == 2 && sb.Length == 2)
        {
            if (needA) ctx.AddInputGradient(0, ctx.Op("Gemm", [dy, b], Attr.Int("transB", 1)));
            if (needB) ctx.AddInputGradient(1, ctx.Op("Gemm", [a, dy], Attr.Int("transA", 1)));
            return;
        }
        if (sa.Length == 1)
        {
            // a: [K] as [1, K]; Y: [..., N] as [..., 1, N].
            var dyu = ctx.Op("Unsqueeze", [dy, ctx.ConstInt64(-2)]);
            if (needA)
            {
                // [..., 1, K] → [..., K], then sum the batch axes.
                var full = ctx.Op("Squeeze", [ctx.Op("MatMul", [dyu, SwapLast(ctx, b, sb.Length)]), ctx.ConstInt64(-2)]);
                ctx.AddInputGradient(0, ctx.Unreduce(full, a));
            }
            if (needB)
            {
                var col = ctx.Op("Unsqueeze", [a, ctx.ConstInt64(-1)]);
                ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("MatMul", [col, dyu]), b));
            }
            return;
        }
        if (sb.Length == 1)
        {
            // b: [K] as [K, 1]; Y: [..., M] as [..., M, 1].
            var dyu = ctx.Op("Unsqueeze", [dy, ctx.ConstInt64(-1)]);
            if (needA) ctx.AddInputGradient(0, ctx.Unreduce(ctx.Op("Mul", [dyu, b]), a));
            if (needB)
            {
                // [..., K, 1] → [..., K], then sum the batch axes.
                var full = ctx.Op("Squeeze", [ctx.Op("MatMul", [SwapLast(ctx, a, sa.Length), dyu]), ctx.ConstInt64(-1)]);
                ctx.AddInputGradient(1, ctx.Unreduce(full, b));
            }
            return;
        }
        if (needA) ctx.AddInputGradient(0, ctx.Unreduce(ctx.Op("MatMul", [dy, SwapLast(ctx, b, sb.Length)]), a));
        if (needB)
        {
            if (sb.Length == 2)
            {
                // X[..., M, K]·W[K, N]: W̄ = Σ over batch = Gemm over the flattened rows.
                var a2 = ctx.Op("Reshape", [a, ctx.ConstInt64(-1, sa[^1])]);
                var dy2 = ctx.Op("Reshape", [dy, ctx.ConstInt64(-1, sb[1])]);
                ctx.AddInputGradient(1, ctx.Op("Gemm", [a2, dy2], Attr.Int("transA", 1)));
            }
            else
                ctx.AddInputGradient(1, ctx.Unreduce(ctx.Op("MatMul", [SwapLast(ctx, a, sa.Length), dy]), b));
        }
    }

    private static string SwapLast(GradientContext ctx, string value, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return ctx.Op("Transpose", [value], Attr.Ints("perm", perm));
    }
}
