using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// The ops <see cref="BatchedDrawGraph"/> runs once for a whole group of draws on channel-stacked activations
/// (<c>[N, G·C, …]</c>, draw j's channels at j·C … j·C + C − 1): ops that treat every channel on its own, so stacking
/// the draws' channels changes nothing a draw sees. Anything else (a Conv or Gemm reading a stacked value, channel
/// reductions, reshapes, softmax over channels, ops with a second output) ends the stacked region.
/// </summary>
internal static class ChannelStackedOps
{
    /// <summary>What an input of a channelwise node may be.</summary>
    public enum InputRole
    {
        /// <summary>Stacked activations (for a binary op, one side may instead be a one-element draw-independent tensor).</summary>
        Activation,
        /// <summary>Any draw-independent value (Clip bounds, Dropout ratio: scalars by the op's definition).</summary>
        Shared,
        /// <summary>Per-channel parameters of length C, each draw's own (sampled) or one tensor for all: stacked like the channels.</summary>
        PerChannel,
    }

    /// <summary>Elementwise ops of one input.</summary>
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Celu", "ThresholdedRelu", "Softplus",
        "Softsign", "Mish", "Gelu", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Floor", "Ceil", "Round", "Sign", "Identity",
    };

    /// <summary>Elementwise ops of two inputs.</summary>
    private static readonly HashSet<string> Binary = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min" };

    /// <summary>Pooling over space, channel by channel (MaxPool's optional indices output excluded below).</summary>
    private static readonly HashSet<string> Pools = new(StringComparer.Ordinal)
    {
        "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
    };

    /// <summary>Whether <paramref name="node"/>'s op works channel by channel and yields one output laid out like its input.</summary>
    public static bool IsChannelwise(NodeProto node) =>
        node.Domain.Length == 0 && node.Output.Skip(1).All(o => o.Length == 0) && node.Input.Count >= 1 &&
        (IsUnaryElementwise(node) || Pools.Contains(node.OpType) ||
         (Binary.Contains(node.OpType) && node.Input.Count == 2) ||
         (node.OpType == "BatchNormalization" && (NodeAttributes.Int(node, "training_mode") ?? 0) == 0));

    /// <summary>
    /// Whether <paramref name="node"/> is elementwise in its first input (an activation, Clip, Dropout), its other inputs
    /// scalars by the op's definition.
    /// </summary>
    public static bool IsUnaryElementwise(NodeProto node) => Unary.Contains(node.OpType) || node.OpType is "Clip" or "Dropout";

    /// <summary>Whether <paramref name="node"/> is a binary elementwise op (either input may be the stacked one).</summary>
    public static bool IsBinary(NodeProto node) => Binary.Contains(node.OpType);

    /// <summary>The role of input <paramref name="index"/> of a channelwise node.</summary>
    public static InputRole Role(NodeProto node, int index) => index == 0 || IsBinary(node)
        ? InputRole.Activation
        : node.OpType == "BatchNormalization" ? InputRole.PerChannel : InputRole.Shared;
}
