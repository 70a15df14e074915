namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>VJP of Transpose: X̄ = Transpose(Ȳ, inverse(perm)); the default perm reverses the axes and is its own inverse.</summary>
public sealed class ShapeTransposeRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Transpose"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public void Emit(GradientContext ctx)
    {
        string? dy = ctx.OutputGradient(0);
        if (dy is null || !ctx.NeedsInputGradient(0)) return;
        int rank = ctx.Shape(ctx.Node.Input(0)).Length;
        var perm = ctx.Node.GetInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[rank];
        for (int i = 0; i < rank; i++) inverse[perm[i]] = i;
        ctx.AddInputGradient(0, ctx.Op("Transpose", [dy], Attr.Ints("perm", inverse)));
    }
}
