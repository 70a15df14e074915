using OnnxRay.Onnx.Protobuf;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Rank and element-type rules for common ops, in the attribute forms of any opset. Values already known
/// (from value_info) are not overwritten; unknown cases stay unknown.
/// </summary>
internal static class RankPropagation
{
    private static readonly HashSet<string> SameAsFirstInput = new(StringComparer.Ordinal)
    {
        "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh",
        "Softplus", "Softsign", "Softmax", "LogSoftmax", "Hardmax", "Identity", "Dropout", "Clip", "Pad", "Slice", "Tile", "Transpose",
        "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "LRN", "Concat", "Split", "PRelu", "Erf", "Floor", "Ceil",
        "Round", "Sign", "Sin", "Cos", "Gelu", "Mish", "HardSwish", "Celu", "ThresholdedRelu", "Shrink", "Not", "Cast", "CastLike",
        "LpNormalization", "MeanVarianceNormalization", "DepthToSpace", "SpaceToDepth", "Trilu", "CumSum", "ScatterElements",
        "ScatterND", "Expand", "Upsample", "Resize",
    };

    private static readonly HashSet<string> Broadcasting = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Sum", "Max", "Min", "Mean", "Where", "And", "Or", "Xor",
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Mod",
    };

    private static readonly HashSet<string> Comparisons = new(StringComparer.Ordinal)
    {
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "IsNaN", "IsInf",
    };

    public static void Apply(RankTable table, NodeProto node)
    {
        if (node.Output.Count == 0) return;
        var inputs = node.Input;
        int? R(int i) => i < inputs.Count && inputs[i].Length > 0 ? table.Rank(inputs[i]) : null;
        int? T(int i) => i < inputs.Count && inputs[i].Length > 0 ? table.ElementType(inputs[i]) : null;
        var op = node.OpType;
        int? rank = null;
        var type = T(0);

        if (op == "Constant")
        {
            var value = NodeAttributes.Find(node, "value");
            if (value?.T is { } t) { rank = t.Dims.Count; type = t.DataType; }
            else if (NodeAttributes.Find(node, "value_float") is not null) { rank = 0; type = (int)DataType.Float; }
            else if (NodeAttributes.Find(node, "value_int") is not null) { rank = 0; type = (int)DataType.Int64; }
            else if (NodeAttributes.Find(node, "value_floats") is not null) { rank = 1; type = (int)DataType.Float; }
            else if (NodeAttributes.Find(node, "value_ints") is not null) { rank = 1; type = (int)DataType.Int64; }
        }
        else if (Broadcasting.Contains(op))
        {
            var ranks = Enumerable.Range(0, inputs.Count).Select(R).ToList();
            rank = ranks.All(r => r is not null) ? ranks.Max() : null;
            if (op == "Where") type = T(1);
        }
        else if (SameAsFirstInput.Contains(op)) rank = R(0);
        else if (op is "Gemm" or "Flatten") rank = 2;
        else if (op == "MatMul" && R(0) is { } ra && R(1) is { } rb)
            rank = ra == 1 && rb == 1 ? 0 : ra == 1 ? rb - 1 : rb == 1 ? ra - 1 : Math.Max(ra, rb);
        else if (op is "Shape") { rank = 1; type = (int)DataType.Int64; }
        else if (op is "Size") { rank = 0; type = (int)DataType.Int64; }
        else if (op is "Reshape")
        {
            var shapeAttribute = NodeAttributes.Ints(node, "shape");
            rank = shapeAttribute?.Length ?? (inputs.Count > 1 ? table.ConstantInts(inputs[1])?.Length : null);
        }
        else if (op is "Squeeze" && NodeAttributes.Ints(node, "axes") is { } squeezed && R(0) is { } rs) rank = rs - squeezed.Length;
        else if (op is "Unsqueeze" && R(0) is { } ru)
        {
            var axes = NodeAttributes.Ints(node, "axes") ?? (inputs.Count > 1 ? table.ConstantInts(inputs[1]) : null);
            if (axes is not null) rank = ru + axes.Length;
        }
        else if (op.StartsWith("Reduce", StringComparison.Ordinal) && R(0) is { } rr)
        {
            var keep = (NodeAttributes.Int(node, "keepdims") ?? 1) != 0;
            var axes = NodeAttributes.Ints(node, "axes") ?? (inputs.Count > 1 ? table.ConstantInts(inputs[1]) : null);
            rank = keep ? rr : axes is null ? 0 : rr - axes.Length;
        }
        else if (op is "ArgMax" or "ArgMin" && R(0) is { } rArg)
        {
            rank = (NodeAttributes.Int(node, "keepdims") ?? 1) != 0 ? rArg : rArg - 1;
            type = (int)DataType.Int64;
        }
        else if (op is "Gather" && R(0) is { } rd && R(1) is { } ri) rank = rd - 1 + ri;
        else if (op is "GatherElements") rank = R(1);
        else if (op is "ConstantOfShape" && inputs.Count > 0 && table.ConstantInts(inputs[0]) is { } shape) rank = shape.Length;

        if (op == "Cast" && NodeAttributes.Find(node, "to") is { Type: AttributeProto.Types.AttributeType.Int } to) type = (int)to.I;
        if (Comparisons.Contains(op)) type = (int)DataType.Bool;

        // Split's outputs all share the rule; other ops' extra outputs (BatchNorm statistics, Dropout mask) stay unknown.
        var described = op == "Split" ? node.Output.Count : 1;
        foreach (var output in node.Output.Take(described))
            table.Set(output, table.Rank(output) ?? rank, table.ElementType(output) ?? type);
    }
}
