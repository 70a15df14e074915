namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Gemm: Y = α·A'B' + β·C, gradients as Gemm nodes for all four transpose combinations (§6.3).</summary>
public sealed class MatrixProductGemmRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Gemm"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1 or 2;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var a = node.Input(0);
        var b = node.Input(1);
        var alpha = node.GetFloat("alpha", 1f);
        var beta = node.GetFloat("beta", 1f);
        var transA = node.GetInt("transA", 0) != 0;
        var transB = node.GetInt("transB", 0) != 0;
        var al = Attr.Float("alpha", alpha);
        if (ctx.NeedsInputGradient(0))
        {
            var da = (transA, transB) switch
            {
                (false, false) => ctx.Op("Gemm", [dy, b], al, Attr.Int("transB", 1)),
                (false, true) => ctx.Op("Gemm", [dy, b], al),
                (true, false) => ctx.Op("Gemm", [b, dy], al, Attr.Int("transB", 1)),
                (true, true) => ctx.Op("Gemm", [b, dy], al, Attr.Int("transA", 1), Attr.Int("transB", 1)),
            };
            ctx.AddInputGradient(0, da);
        }
        if (ctx.NeedsInputGradient(1))
        {
            var db = (transA, transB) switch
            {
                (false, false) => ctx.Op("Gemm", [a, dy], al, Attr.Int("transA", 1)),
                (false, true) => ctx.Op("Gemm", [dy, a], al, Attr.Int("transA", 1)),
                (true, false) => ctx.Op("Gemm", [a, dy], al),
                (true, true) => ctx.Op("Gemm", [dy, a], al, Attr.Int("transA", 1), Attr.Int("transB", 1)),
            };
            ctx.AddInputGradient(1, db);
        }
        if (node.HasInput(2) && ctx.NeedsInputGradient(2))
        {
            var scaled = beta == 1f ? dy : ctx.Op("Mul", [dy, ctx.ConstScalar(beta, ctx.ElementType(node.Output(0)))]);
            ctx.AddInputGradient(2, ctx.Unreduce(scaled, node.Input(2)));
        }
    }
}
