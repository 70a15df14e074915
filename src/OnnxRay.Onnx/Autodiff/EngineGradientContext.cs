using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>The engine's implementation of <see cref="GradientContext"/> for one forward node.</summary>
internal sealed class EngineGradientContext(ReverseModeEngine engine, NodeView node) : GradientContext
{
    private GraphEmitter Emitter => engine.Emitter;

    public override NodeView Node => node;

    public override string? OutputGradient(int outputIndex)
    {
        var output = node.Output(outputIndex);
        return output.Length == 0 ? null : engine.GradientOf(output);
    }

    public override string OutputGradientOrZeros(int outputIndex) =>
        OutputGradient(outputIndex) ?? Emitter.ZerosLike(ForwardOutput(outputIndex));

    public override bool NeedsInputGradient(int inputIndex) =>
        node.HasInput(inputIndex) && engine.Activity.IsActive(node.Input(inputIndex)) && engine.Activity.IsDifferentiableSlot(node, inputIndex);

    public override void AddInputGradient(int inputIndex, string gradientName)
    {
        if (!NeedsInputGradient(inputIndex)) return;
        var input = node.Input(inputIndex);
        // Catch rule bugs early: a contribution with a known, different shape would fail (or silently broadcast) in ORT.
        if (Emitter.Types.TryGet(gradientName, out var g) && Emitter.Types.TryGet(input, out var x) && !g.Shape.SequenceEqual(x.Shape))
            throw new InvalidOperationException(
                $"Gradient rule for {node} contributed shape [{string.Join(",", g.Shape)}] to input '{input}' of shape [{string.Join(",", x.Shape)}].");
        engine.AddContribution(input, gradientName);
    }

    public override long[] Shape(string valueName) => TypeOf(valueName).Shape;

    public override int ElementType(string valueName) => TypeOf(valueName).ElementType;

    public override string ForwardOutput(int outputIndex)
    {
        var existing = node.Output(outputIndex);
        if (existing.Length > 0) return existing;
        while (node.Proto.Output.Count <= outputIndex) node.Proto.Output.Add("");
        var name = Emitter.Names.Next($"{node.OpType.ToLowerInvariant()}_out{outputIndex}");
        node.Proto.Output[outputIndex] = name;
        return name;
    }

    public override string Op(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes) => Emitter.Op(opType, inputs, attributes);

    public override string[] OpMulti(string opType, IReadOnlyList<string> inputs, int outputCount, params AttributeProto[] attributes) =>
        Emitter.OpMulti(opType, inputs, outputCount, attributes);

    public override string DomainOp(string domain, string opType, IReadOnlyList<string> inputs, long[] outputShape, int elementType, params AttributeProto[] attributes) =>
        Emitter.DomainOp(domain, opType, inputs, outputShape, elementType, attributes);

    public override int? NchwcBlockSize => engine.NchwcBlockSize;

    public override long? HoistLimitBytes => engine.HoistLimitBytes;

    public override bool IsDataOnly(string value) => engine.IsDataOnly?.Invoke(value) ?? false;

    public override string ConstInt64(params long[] values) => Emitter.ConstInt64(values);

    public override string ConstScalar(double value, int elementType = OnnxType.Float) => Emitter.ConstScalar(value, elementType);

    public override string Const(TensorProto value) => Emitter.Const(value);

    public override string ZerosLike(string likeValue) => Emitter.Zeros(Shape(likeValue), ElementType(likeValue));

    public override string Unreduce(string gradient, string operand)
    {
        // Emitted values often have a known shape; otherwise the gradient has the node's (broadcast) output shape.
        var gradientShape = Emitter.Types.TryGet(gradient, out var g) ? g.Shape : Shape(node.Output(0));
        return Emitter.Unreduce(gradient, gradientShape, Shape(operand));
    }

    private StaticValue TypeOf(string valueName)
    {
        if (Emitter.Types.TryGet(valueName, out var t)) return t;
        engine.Reprobe();
        return Emitter.Types.TryGet(valueName, out t)
            ? t
            : throw new InvalidOperationException($"No static shape is known for value '{valueName}' (asked by the rule for {node}).");
    }
}
