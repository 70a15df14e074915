using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Declared data input of a density graph (a model input or the target), with its batch-specialised shape. A gaussian
/// or bernoulli target is declared in the prediction's shape (e.g. [B,1] for [B] data): feed the same rows in this shape.
/// </summary>
public sealed record DataInput(string Name, int ElementType, long[] Shape);

/// <summary>
/// One value-and-gradient (or value-only) ONNX model: inputs are the model's data inputs, <c>target</c> (when the head
/// needs it), the <see cref="ThetaViews"/> (one per parameter tensor, slices of one flat θ buffer), and the
/// <see cref="Coefficients"/>: values the host derives from the likelihood scale and the prior weight (one-element ones
/// default to scale N/B and weight 1 through overridable initializers). Outputs: <c>log_density</c> (float scalar) and,
/// with a gradient, one output per parameter tensor (<see cref="Gradient"/>: bound to slices of the flat gradient
/// buffer). Both leave out the prior's θ-dependent part, which the runner adds on the host (<see cref="Prior"/>), and
/// log_density may leave the likelihood's last scale and the constant offset to the host too (<see cref="LogDensityAffine"/>).
/// </summary>
public sealed class DensityGraph
{
    public const string TargetInput = "target";
    public const string LogDensityOutput = "log_density";
    /// <summary>Hint of the per-tensor gradient outputs' names (<see cref="GradientSlice.OutputName"/>).</summary>
    public const string GradientOutputHint = "grad_theta";

    internal DensityGraph(ModelProto model, ParameterLayout layout, IReadOnlyList<DataInput> dataInputs, long batchSize, bool hasGradient, double defaultScale)
    {
        Model = model;
        Layout = layout;
        DataInputs = dataInputs;
        BatchSize = batchSize;
        HasGradient = hasGradient;
        DefaultLikelihoodScale = defaultScale;
    }

    /// <summary>The generated ONNX model (opset of the normalised input model, IR ≥ 8).</summary>
    public ModelProto Model { get; }

    /// <summary>The θ layout (including log_sigma for the learned-noise gaussian).</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Inputs that a runner binds to slices of its flat θ buffer (one per parameter tensor).</summary>
    public IReadOnlyList<ThetaView> ThetaViews { get; init; } = [];

    /// <summary>The gradient's per-tensor outputs (<see cref="GradientSlices.None"/> for value-only graphs).</summary>
    public GradientSlices Gradient { get; init; } = GradientSlices.None;

    /// <summary>The prior's log term and gradient, added by the runner after each run (its constant is in the graph).</summary>
    public HostPrior Prior { get; init; } = HostPrior.None;

    /// <summary>What the runner applies to the graph's <c>log_density</c> output (the last scale and offset, on the host).</summary>
    public LogDensityAffine LogDensityAffine { get; init; } = LogDensityAffine.Identity;

    /// <summary>Inputs computed from (likelihood scale, prior weight) by <see cref="DensityCoefficient.Fill"/> before a run.</summary>
    public IReadOnlyList<DensityCoefficient> Coefficients { get; init; } = [];

    /// <summary>Number of classes K of a categorical head (targets must lie in [−K, K) or be the ignore index), else null.</summary>
    public long? ClassCount { get; init; }

    /// <summary>Data inputs in feed order (model inputs, then target when present).</summary>
    public IReadOnlyList<DataInput> DataInputs { get; }

    public long BatchSize { get; }

    public bool HasGradient { get; }

    public double DefaultLikelihoodScale { get; }

    /// <summary>
    /// The nodes that depend only on the data, which runners move into a model of their own and run only when the data
    /// changes (<see cref="DataOnlyPart.Split"/>); null when nothing is worth it. <see cref="Model"/> is always whole.
    /// </summary>
    public DataOnlyPart? DataOnly { get; init; }

    /// <summary>The source model's folder: initializers that are not θ may still point to its external data.</summary>
    public string? ExternalDataFolder { get; init; }

    public byte[] ToBytes() => Google.Protobuf.MessageExtensions.ToByteArray(Model);
}
