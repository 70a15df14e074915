namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>
/// VJP of BatchNormalization in inference mode: Y = (X − mean)·inv·scale + B with inv = 1/√(var + ε), per channel
/// on axis 1. Running statistics are constants (no gradient); training mode is rejected because its batch
/// statistics make every example depend on the others in a way this rule does not model.
/// </summary>
public sealed class NormalizationBatchRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["BatchNormalization"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex is 0 or 1 or 2;

    public string? CheckSupported(NodeView node)
    {
        if (node.GetInt("training_mode", 0) != 0)
            return "BatchNormalization with training_mode=1 (batch statistics) has no gradient rule; export the model in eval mode";
        if (node.OutputCount > 1 && node.Proto.Output.Skip(1).Any(o => o.Length > 0))
            return "BatchNormalization with running-statistics outputs (training form) has no gradient rule; export the model in eval mode";
        if (node.Opset < 9 && node.GetInt("spatial", 1) != 1)
            return "BatchNormalization with spatial=0 has no gradient rule";
        return null;
    }

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        string? dy = ctx.OutputGradient(0);
        if (dy is null) return;
        string x = node.Input(0), scale = node.Input(1), mean = node.Input(3), variance = node.Input(4);
        var xShape = ctx.Shape(x);
        int rank = xShape.Length;
        int type = ctx.ElementType(x);
        // Per-channel vectors broadcast as [1, C, 1, …].
        string channelShape = ctx.ConstInt64([1, xShape[1], .. Enumerable.Repeat(1L, rank - 2)]);
        string inv = ctx.Op("Reciprocal", [ctx.Op("Sqrt", [ctx.Op("Add", [variance, ctx.ConstScalar(node.GetFloat("epsilon", 1e-5f), type)])])]);
        string invB = ctx.Op("Reshape", [inv, channelShape]);
        string allButChannel = ctx.ConstInt64([0, .. Enumerable.Range(2, rank - 2).Select(i => (long)i)]);

        if (ctx.NeedsInputGradient(0))
        {
            string factor = ctx.Op("Reshape", [ctx.Op("Mul", [scale, inv]), channelShape]);
            ctx.AddInputGradient(0, ctx.Op("Mul", [dy, factor]));
        }
        if (ctx.NeedsInputGradient(1))
        {
            string normalized = ctx.Op("Mul", [ctx.Op("Sub", [x, ctx.Op("Reshape", [mean, channelShape])]), invB]);
            ctx.AddInputGradient(1, ctx.Op("ReduceSum", [ctx.Op("Mul", [dy, normalized]), allButChannel], Attr.Int("keepdims", 0)));
        }
        if (ctx.NeedsInputGradient(2))
            ctx.AddInputGradient(2, ctx.Op("ReduceSum", [dy, allButChannel], Attr.Int("keepdims", 0)));
    }
}
