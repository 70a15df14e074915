using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// The engine's value-and-gradient graph for the test objective L(θ) = Σ r ⊙ output, built through the production
/// path: the model gets a data input <c>objective_r</c> and nodes Mul + ReduceSum producing <c>objective_L</c>, and the
/// density uses the <c>output:objective_L</c> likelihood with no prior. θ is the chosen initializers.
/// </summary>
public sealed class ObjectiveSession : IDisposable
{
    public const string WeightInput = "objective_r";
    public const string ObjectiveOutput = "objective_L";

    private readonly GraphSession _session;
    private readonly OrtValue[] _data;

    /// <param name="model">A normalised model; <paramref name="output"/> must be one of its float outputs.</param>
    /// <param name="data">One array per graph input (by name).</param>
    /// <param name="weights">r, shaped like the output.</param>
    /// <param name="selection">θ tensors (null: the default parameter set).</param>
    /// <param name="hoistLimitBytes">See <see cref="OrtLogDensityOptions.HoistLimitBytes"/> (0: no data-only part, the forms for inputs that are not data).</param>
    /// <param name="cpuKernels">False: standard ops only, no NCHWc kernels (see <see cref="DensityGraphBuilder.Build"/>).</param>
    public ObjectiveSession(OnnxModel model, string output, IReadOnlyDictionary<string, NpyArray> data, NpyArray weights, ParameterSelection? selection = null,
        long hoistLimitBytes = DataOnlyPart.DefaultLimitBytes, bool cpuKernels = true)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        graph.Input.Add(TestGraph.ValueInfo(WeightInput, OnnxType.Float, weights.Shape));
        var product = new NodeProto { OpType = "Mul", Name = "objective_mul", Input = { output, WeightInput }, Output = { "objective_product" } };
        var sum = new NodeProto { OpType = "ReduceSum", Name = "objective_sum", Input = { "objective_product" }, Output = { ObjectiveOutput } };
        sum.Attribute.Add(Attr.Int("keepdims", 0));
        graph.Node.Add(product);
        graph.Node.Add(sum);
        graph.Output.Clear();
        graph.Output.Add(TestGraph.ValueInfo(ObjectiveOutput, OnnxType.Float, []));
        var augmented = model.WithProto(proto);

        var batch = new Dictionary<string, NpyArray>(data, StringComparer.Ordinal) { [WeightInput] = weights };
        Layout = ParameterLayout.FromModel(augmented, selection, outputNames: [ObjectiveOutput]);
        InitialTheta = Layout.ReadInitialTheta(augmented);
        Graph = DensityGraphBuilder.Build(augmented, Layout, DensityOptions.Parse("output:" + ObjectiveOutput), batch, 1.0, cpuKernels: cpuKernels, hoistLimitBytes: hoistLimitBytes);
        _session = new GraphSession(Graph, new OrtLogDensityOptions());
        _data = Graph.DataInputs.Select(d => OrtTensors.Wrap(batch[d.Name])).ToArray();
        _session.SetData(_data);
    }

    public ParameterLayout Layout { get; }

    /// <summary>The value-and-gradient graph the session runs (for tests that check which form a rule emitted).</summary>
    public DensityGraph Graph { get; }

    /// <summary>θ₀: the model's own parameter values.</summary>
    public float[] InitialTheta { get; }

    /// <summary>L(θ) evaluated by ORT in float32; writes ∇L into <paramref name="gradient"/> when given.</summary>
    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient = default)
    {
        theta.CopyTo(_session.Theta);
        double value = _session.Run(1f, 1f);
        if (!gradient.IsEmpty) _session.Gradient.CopyTo(gradient);
        return value;
    }

    /// <summary>∇L at θ, split per parameter tensor.</summary>
    public Dictionary<string, float[]> GradientByTensor(ReadOnlySpan<float> theta)
    {
        var g = new float[Layout.Dimension];
        Evaluate(theta, g);
        return Layout.Tensors.ToDictionary(t => t.Name, t => g.AsSpan(t.Offset, t.Length).ToArray(), StringComparer.Ordinal);
    }

    public void Dispose()
    {
        _session.Dispose();
        foreach (var v in _data) v.Dispose();
    }
}
