using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// The forward graph a predictor runs: the model cut to its prediction output, every sampled initializer turned into
/// a float32 graph input of the same name (with a Cast where the model stores another float type). The same graph,
/// with those inputs made initializers again holding one draw, is what a per-draw session runs.
/// </summary>
internal sealed class PredictionGraph
{
    private const string CastSuffix = "__onnxray_theta";
    private readonly ThetaView[] _views;
    private readonly Lazy<string?> _whyNotDense;

    private PredictionGraph(ModelProto proto, ThetaView[] views, IReadOnlyList<ModelInput> dataInputs, string outputName)
    {
        Proto = proto;
        _views = views;
        ParameterInputs = views.Select(v => v.InputName).ToArray();
        DataInputs = dataInputs;
        OutputName = outputName;
        _whyNotDense = new Lazy<string?>(() => DenseDrawGraph.WhyNot(proto.Graph, views, outputName));
    }

    /// <summary>The graph with θ tensors as inputs.</summary>
    public ModelProto Proto { get; }

    /// <summary>Graph input names of the sampled initializers, in layout order.</summary>
    public string[] ParameterInputs { get; }

    /// <summary>The model's data inputs.</summary>
    public IReadOnlyList<ModelInput> DataInputs { get; }

    /// <summary>The one output kept.</summary>
    public string OutputName { get; }

    /// <summary>Whether any initializer left in the graph lives in an external file.</summary>
    public bool HasExternalData => ModelTensors.All(Proto).Any(ExternalDataResolver.IsExternal);

    public static PredictionGraph Build(OnnxModel model, ParameterLayout layout, LikelihoodSpec likelihood, string? outputName)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var output = outputName ?? likelihood.OutputName ?? graph.Output.FirstOrDefault()?.Name
                     ?? throw new OnnxFormatException(model.SourcePath, "the model has no outputs.");
        var outputInfo = graph.Output.FirstOrDefault(o => o.Name == output)
                         ?? throw new OnnxRayException($"{model.SourcePath}: --output '{output}' is not a model output (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}).");
        graph.Output.Clear();
        graph.Output.Add(outputInfo);

        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        for (var i = graph.Input.Count - 1; i >= 0; i--)
            if (initializers.ContainsKey(graph.Input[i].Name)) graph.Input.RemoveAt(i);
        var dataInputs = graph.Input.Select(ModelInput.From).ToList();

        var parameters = layout.Tensors.Where(t => t.IsInitializer).ToArray();
        foreach (var t in parameters) graph.Initializer.Remove(initializers[t.Name]);
        var views = ThetaRewriter.AddViewInputs(graph, parameters, t => t.Name + CastSuffix);
        return new PredictionGraph(proto, views.ToArray(), dataInputs, output);
    }

    /// <summary>The graph with θ as inputs, serialised.</summary>
    public byte[] ToBytes() => Serialise(Proto);

    /// <summary>Whether several draws can share one session (<see cref="DrawGroupGraph"/>).</summary>
    public bool CanGroupDraws => DrawGroupGraph.CanReplicate(Proto.Graph, OutputName);

    /// <summary>
    /// The graph holding <paramref name="thetas"/> (one draw, or several when <see cref="CanGroupDraws"/>) as constant
    /// initializers, so ONNX Runtime treats the weights exactly as in the original model (pre-packed Gemm/MatMul
    /// weights, blocked Conv filters, constant folding of the Casts), with the outputs <see cref="GroupOutputNames"/>.
    /// With <paramref name="batch"/>, several draws of a dense network run as one chain over a leading draw axis
    /// (<see cref="DenseDrawGraph"/>); elsewhere the layers on draw-independent data run as one wider kernel where the
    /// graph allows it (<see cref="BatchedDrawGraph"/>), else the draws run side by side as renamed copies
    /// (<see cref="DrawGroupGraph"/>).
    /// </summary>
    public byte[] ToBytesWithDraws(IReadOnlyList<float[]> thetas, bool batch = false) =>
        Serialise(StacksDrawOutputs(thetas.Count, batch) ? DenseDrawGraph.Build(Proto, _views, thetas, OutputName)
            : batch && thetas.Count > 1 && BatchedDrawGraph.WhyNot(Proto.Graph, _views, OutputName) is null
                ? BatchedDrawGraph.Build(Proto, _views, thetas, OutputName)
                : DrawGroupGraph.Build(Proto, _views, thetas, OutputName));

    /// <summary>
    /// Whether <see cref="ToBytesWithDraws"/> for <paramref name="draws"/> draws gives one output holding them all,
    /// <c>[G, rows, …]</c> with draw j's output at index j (<see cref="DenseDrawGraph"/>), rather than one output per draw.
    /// </summary>
    public bool StacksDrawOutputs(int draws, bool batch) => batch && draws > 1 && _whyNotDense.Value is null;

    /// <summary>The outputs of <see cref="ToBytesWithDraws"/>: the stacked one, or draw j's output at index j.</summary>
    public string[] GroupOutputNames(int draws, bool batch) => StacksDrawOutputs(draws, batch)
        ? [DenseDrawGraph.StackedOutputName(OutputName)]
        : Enumerable.Range(0, draws).Select(j => DrawGroupGraph.OutputName(OutputName, j)).ToArray();

    private static byte[] Serialise(ModelProto proto)
    {
        using var stream = new MemoryStream();
        using (var output = new Google.Protobuf.CodedOutputStream(stream, leaveOpen: true)) proto.WriteTo(output);
        return stream.ToArray();
    }
}
