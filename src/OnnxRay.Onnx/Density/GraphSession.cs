using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// One InferenceSession over one density graph with every buffer bound once: θ (and its per-tensor views, slices of the
/// same array), the scalar scale inputs and the outputs are pinned managed arrays (zero copy on CPU), bound once to an
/// IoBinding with preallocated outputs, so an evaluation allocates nothing.
/// </summary>
internal sealed class GraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly string[] _inputNames;
    private readonly List<OrtValue> _owned = [];
    private readonly int _firstDataInput;

    public GraphSession(DensityGraph graph, OrtLogDensityOptions options)
    {
        Graph = graph;
        Theta = new float[graph.Layout.Dimension];
        Gradient = new float[graph.HasGradient ? graph.Layout.Dimension : 0];
        using var sessionOptions = CreateSessionOptions(options);
        IO.ExternalDataFolder.Apply(sessionOptions, graph.Model, graph.ExternalDataFolder, graph.Model.Graph.Name);
        try
        {
            _session = new InferenceSession(graph.ToBytes(), sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFormatException(graph.Model.Graph.Name, "ONNX Runtime rejected the generated density graph: " + e.Message, e);
        }
        var names = new List<string> { DensityGraph.ThetaInput, DensityGraph.LikelihoodScaleInput, DensityGraph.PriorWeightInput };
        var values = new List<OrtValue> { Own(OrtValue.CreateTensorValueFromMemory(Theta, [Theta.Length])) };
        values.Add(Own(OrtValue.CreateTensorValueFromMemory(_scale, [])));
        values.Add(Own(OrtValue.CreateTensorValueFromMemory(_priorWeight, [])));
        foreach (var view in graph.ThetaViews)
        {
            names.Add(view.InputName);
            values.Add(Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(Theta, view.Offset, (int)view.Length), view.Shape)));
        }
        _firstDataInput = names.Count;
        names.AddRange(graph.DataInputs.Select(d => d.Name)); // bound by SetData
        _inputNames = names.ToArray();
        _scale[0] = (float)graph.DefaultLikelihoodScale;
        _priorWeight[0] = 1f;
        // Bound once: a Run then passes no names or values across the native boundary (per-call cost on small graphs).
        _binding = _session.CreateIoBinding();
        for (var i = 0; i < _firstDataInput; i++) _binding.BindInput(_inputNames[i], values[i]);
        _binding.BindOutput(DensityGraph.LogDensityOutput, Own(OrtValue.CreateTensorValueFromMemory(_logDensity, [])));
        if (graph.HasGradient) _binding.BindOutput(DensityGraph.GradientOutput, Own(OrtValue.CreateTensorValueFromMemory(Gradient, [Gradient.Length])));
    }

    private readonly float[] _scale = new float[1];
    private readonly float[] _priorWeight = new float[1];
    private readonly float[] _logDensity = new float[1];

    public DensityGraph Graph { get; }

    /// <summary>Pinned θ buffer read by every Run.</summary>
    public float[] Theta { get; }

    /// <summary>Pinned gradient buffer written by every Run (empty for value-only graphs).</summary>
    public float[] Gradient { get; }

    /// <summary>Binds the data values (in <see cref="DensityGraph.DataInputs"/> order); the caller keeps them alive.</summary>
    public void SetData(IReadOnlyList<OrtValue> data)
    {
        for (var i = 0; i < data.Count; i++) _binding.BindInput(_inputNames[_firstDataInput + i], data[i]);
    }

    /// <summary>Runs the graph and returns log_density (float32 widened).</summary>
    public double Run(float likelihoodScale, float priorWeight)
    {
        _scale[0] = likelihoodScale;
        _priorWeight[0] = priorWeight;
        _session.RunWithBinding(_runOptions, _binding);
        return _logDensity[0];
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var v in _owned) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private OrtValue Own(OrtValue value)
    {
        _owned.Add(value);
        return value;
    }

    internal static SessionOptions CreateSessionOptions(OrtLogDensityOptions options)
    {
        // Warnings off: ORT warns about the overridable scalar inputs (likelihood_scale, prior_weight) on every session.
        var so = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            GraphOptimizationLevel = options.OptimizationLevel,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        var device = options.Device.Trim().ToLowerInvariant();
        if (device == "cpu") return so;
        if (!device.StartsWith("cuda", StringComparison.Ordinal))
        {
            so.Dispose();
            throw new ExecutionProviderException(options.Device, "unknown device; use 'cpu' or 'cuda:N'.");
        }
        var id = 0;
        if (device.Length > 4 && (device[4] != ':' || !int.TryParse(device[5..], out id)))
        {
            so.Dispose();
            throw new ExecutionProviderException(options.Device, "malformed device; use 'cuda:N' with a device number, e.g. cuda:0.");
        }
        var providers = OrtEnv.Instance().GetAvailableProviders();
        if (!providers.Contains("CUDAExecutionProvider"))
        {
            so.Dispose();
            throw new ExecutionProviderException(options.Device,
                $"the loaded ONNX Runtime has no CUDA execution provider (available: {string.Join(", ", providers)}). " +
                "Build OnnxRay with -p:OnnxRayGpu=true, which links Microsoft.ML.OnnxRuntime.Gpu, and install CUDA 12 + cuDNN 9.");
        }
        try
        {
            so.AppendExecutionProvider_CUDA(id);
            so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            so.Dispose();
            throw new ExecutionProviderException(options.Device, "the CUDA execution provider failed to start: " + e.Message);
        }
        return so;
    }
}
