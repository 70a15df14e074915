using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// What a rule sees while emitting the VJP of one forward node. Implemented by the reverse-mode engine.
/// All shapes are static: the engine specialises the graph to a fixed batch shape and records every
/// intermediate shape with one probe run, so rules may compute pads, axes and split sizes at build time.
/// Every gradient handed to <see cref="AddInputGradient"/> must already have the input's full shape
/// (use <see cref="Unreduce"/> for broadcasting ops).
/// </summary>
public abstract class GradientContext
{
    /// <summary>The forward node being differentiated.</summary>
    public abstract NodeView Node { get; }

    /// <summary>Name of the gradient of output <paramref name="outputIndex"/>, or null when no gradient flows into it.</summary>
    public abstract string? OutputGradient(int outputIndex);

    /// <summary>Gradient of an output, or zeros of its shape when none flows (e.g. unused Split outputs).</summary>
    public abstract string OutputGradientOrZeros(int outputIndex);

    /// <summary>True when input <paramref name="inputIndex"/> depends on θ and needs a gradient.</summary>
    public abstract bool NeedsInputGradient(int inputIndex);

    /// <summary>Contributes <paramref name="gradientName"/> (input-shaped) to the gradient of input <paramref name="inputIndex"/>; contributions are summed.</summary>
    public abstract void AddInputGradient(int inputIndex, string gradientName);

    /// <summary>Static shape of any value in the graph (from the probe run); scalars have length 0.</summary>
    public abstract long[] Shape(string valueName);

    /// <summary>ONNX element type (TensorProto data_type) of any value in the graph.</summary>
    public abstract int ElementType(string valueName);

    /// <summary>
    /// Name of forward output <paramref name="outputIndex"/>, adding it to the forward node when the model omitted
    /// the optional output (MaxPool Indices, LayerNormalization Mean/InvStdDev). Its shape is available via <see cref="Shape"/>.
    /// </summary>
    public abstract string ForwardOutput(int outputIndex);

    /// <summary>Appends one node to the backward graph and returns its (single) output name.</summary>
    public abstract string Op(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes);

    /// <summary>Appends one node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public abstract string[] OpMulti(string opType, IReadOnlyList<string> inputs, int outputCount, params AttributeProto[] attributes);

    /// <summary>
    /// Appends one node whose output shape the rule states (recorded for later passes such as
    /// <see cref="NchwcConvLowering"/>), of any operator domain ("" for standard ops, or ORT's <see cref="NchwcKernels"/>),
    /// and returns its output name.
    /// </summary>
    public abstract string DomainOp(string domain, string opType, IReadOnlyList<string> inputs, long[] outputShape, int elementType, params AttributeProto[] attributes);

    /// <summary>
    /// MLAS's NCHWc channel block when the graph will run on ORT's CPU provider and that has the NCHWc kernels; null
    /// when rules must emit standard ops only (other execution providers, other CPUs).
    /// </summary>
    public abstract int? NchwcBlockSize { get; }

    /// <summary>
    /// Bytes up to which a rule may emit a tensor computed from the data alone (<see cref="IsDataOnly"/>), which the
    /// runner then computes once per batch rather than in every run; null when the graph's runner does not hoist.
    /// </summary>
    public virtual long? HoistLimitBytes => null;

    /// <summary>True when <paramref name="value"/> depends only on the data inputs and constants, never on θ.</summary>
    public virtual bool IsDataOnly(string value) => false;

    /// <summary>A 1-D int64 constant (shapes, axes, pads, starts/ends).</summary>
    public abstract string ConstInt64(params long[] values);

    /// <summary>A scalar constant of <paramref name="elementType"/> (default float32).</summary>
    public abstract string ConstScalar(double value, int elementType = (int)TensorProto.Types.DataType.Float);

    /// <summary>An arbitrary constant tensor (name is assigned by the engine).</summary>
    public abstract string Const(TensorProto value);

    /// <summary>Zeros with the static shape and element type of <paramref name="likeValue"/>.</summary>
    public abstract string ZerosLike(string likeValue);

    /// <summary>
    /// Sums <paramref name="gradient"/> (shaped like the op output) over the axes that were broadcast and
    /// reshapes to the shape of <paramref name="operand"/>; Identity when nothing was broadcast.
    /// </summary>
    public abstract string Unreduce(string gradient, string operand);
}

/// <summary>ONNX TensorProto data_type values used by rules.</summary>
public static class OnnxType
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    public const int Double = (int)TensorProto.Types.DataType.Double;
    public const int Bool = (int)TensorProto.Types.DataType.Bool;
    public const int Float16 = (int)TensorProto.Types.DataType.Float16;
    public const int BFloat16 = (int)TensorProto.Types.DataType.Bfloat16;

    public static bool IsFloating(int t) => t is Float or Double or Float16 or BFloat16;
}
