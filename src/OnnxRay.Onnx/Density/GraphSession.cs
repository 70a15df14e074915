using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// One InferenceSession over one density graph with every buffer bound once: θ's per-tensor views (slices of one θ
/// array), the coefficient inputs and the outputs are pinned managed arrays (zero copy on CPU), bound once to an
/// IoBinding with preallocated outputs (each per-tensor gradient output bound to its slice of one gradient array; the
/// prior is then added on the host by <see cref="HostPrior"/>), so an evaluation allocates nothing. The coefficients
/// are recomputed only when the (likelihood scale, prior weight) pair differs from the previous run's.
/// With <c>bindCallerMemory</c> (large D) the session has no θ or gradient array of its own: each
/// <see cref="Run(ReadOnlySpan{float}, Span{float}, float, float)"/> binds θ's views and the gradient slices to the
/// caller's memory for that call (a few OrtValue headers per call instead of two extra θ-sized arrays and two copies).
/// When the graph has a <see cref="DensityGraph.DataOnly"/> part, a second session computes it into buffers that the main
/// session reads, before the first run after the data changed (<see cref="SetData"/>, <see cref="DataChanged"/>).
/// </summary>
internal sealed unsafe class GraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly InferenceSession? _prep;
    private readonly OrtIoBinding? _prepBinding;
    private readonly HashSet<string> _prepInputs = new(StringComparer.Ordinal);
    private OrtValue[] _boundData = [];
    private bool _dataStale = true;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly string[] _dataInputNames;
    private readonly List<OrtValue> _owned = [];

    public GraphSession(DensityGraph graph, OrtLogDensityOptions options, bool bindCallerMemory = false)
    {
        Graph = graph;
        BindsCallerMemory = bindCallerMemory;
        Theta = bindCallerMemory ? [] : new float[graph.Layout.Dimension];
        Gradient = bindCallerMemory || !graph.HasGradient ? [] : new float[graph.Layout.Dimension];
        using var sessionOptions = CreateSessionOptions(options);
        IO.ExternalDataFolder.Apply(sessionOptions, graph.Model, graph.ExternalDataFolder, graph.Model.Graph.Name);
        try
        {
            if (graph.DataOnly is { } part)
            {
                var (prep, main) = part.Split(graph.Model);
                _prep = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(prep), sessionOptions);
                _session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(main), sessionOptions);
            }
            else
                _session = new InferenceSession(graph.ToBytes(), sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFormatException(graph.Model.Graph.Name, "ONNX Runtime rejected the generated density graph: " + e.Message, e);
        }
        var names = new List<string>();
        var values = new List<OrtValue>();
        _coefficientValues = new float[graph.Coefficients.Sum(c => c.Length)];
        var offset = 0;
        foreach (var c in graph.Coefficients)
        {
            names.Add(c.InputName);
            values.Add(Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_coefficientValues, offset, c.Length), c.Shape)));
            offset += c.Length;
        }
        if (!bindCallerMemory)
        {
            foreach (var view in graph.ThetaViews)
            {
                names.Add(view.InputName);
                values.Add(Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(Theta, view.Offset, (int)view.Length), view.Shape)));
            }
        }
        // Bound once: a Run then passes no names or values across the native boundary (per-call cost on small graphs).
        _binding = _session.CreateIoBinding();
        for (var i = 0; i < names.Count; i++) _binding.BindInput(names[i], values[i]);
        _binding.BindOutput(DensityGraph.LogDensityOutput, Own(OrtValue.CreateTensorValueFromMemory(_logDensity, [])));
        if (!bindCallerMemory)
            foreach (var slice in graph.Gradient.Slices)
                _binding.BindOutput(slice.OutputName,
                    Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(Gradient, slice.Offset, (int)slice.Length), slice.Shape)));
        _dataInputNames = graph.DataInputs.Select(d => d.Name).ToArray(); // bound by SetData
        if (graph.DataOnly is { } hoisted)
        {
            // Host memory ORT allocates once: written by the prep run, read in place by every main run.
            _prepBinding = _prep!.CreateIoBinding();
            foreach (var v in hoisted.Values)
            {
                var buffer = Own(OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)v.ElementType, v.Shape));
                _prepBinding.BindOutput(v.Name, buffer);
                _binding.BindInput(v.Name, buffer);
            }
            _prepInputs.UnionWith(hoisted.Inputs);
        }
    }

    private readonly float[] _coefficientValues;
    private float _coefficientScale = float.NaN, _coefficientWeight = float.NaN;
    private readonly float[] _logDensity = new float[1];

    public DensityGraph Graph { get; }

    /// <summary>True when every Run binds the caller's θ and gradient (no <see cref="Theta"/>/<see cref="Gradient"/> arrays).</summary>
    public bool BindsCallerMemory { get; }

    /// <summary>Pinned θ buffer read by every Run (empty when <see cref="BindsCallerMemory"/>).</summary>
    public float[] Theta { get; }

    /// <summary>Pinned gradient buffer written by every Run (empty for value-only graphs and when <see cref="BindsCallerMemory"/>).</summary>
    public float[] Gradient { get; }

    /// <summary>
    /// Binds the data values (in <see cref="DensityGraph.DataInputs"/> order); the caller keeps them alive. Binding the
    /// values already bound is free (the data-only part is not recomputed): after changing their contents in place,
    /// call <see cref="DataChanged"/>.
    /// </summary>
    public void SetData(IReadOnlyList<OrtValue> data)
    {
        if (data.Count == _boundData.Length && Enumerable.Range(0, data.Count).All(i => ReferenceEquals(data[i], _boundData[i]))) return;
        for (var i = 0; i < data.Count; i++)
        {
            _binding.BindInput(_dataInputNames[i], data[i]);
            if (_prepInputs.Contains(_dataInputNames[i])) _prepBinding!.BindInput(_dataInputNames[i], data[i]);
        }
        _boundData = data.ToArray();
        _dataStale = true;
    }

    /// <summary>The bound data values' contents changed (a new minibatch gathered in place): the next run recomputes the data-only part.</summary>
    public void DataChanged() => _dataStale = true;

    /// <summary>One evaluation: the data-only part first when the data changed since it last ran.</summary>
    private void RunBound()
    {
        if (_prep is not null && _dataStale) _prep.RunWithBinding(_runOptions, _prepBinding!);
        _dataStale = false;
        _session.RunWithBinding(_runOptions, _binding);
    }

    /// <summary>Runs the graph on the θ in <see cref="Theta"/> and returns log_density (float32 widened).</summary>
    public double Run(float likelihoodScale, float priorWeight)
    {
        if (BindsCallerMemory) throw new InvalidOperationException("this session binds the caller's θ; call Run(theta, gradient, ...).");
        SetCoefficients(likelihoodScale, priorWeight);
        RunBound();
        return Finish(Theta, Gradient, likelihoodScale, priorWeight);
    }

    /// <summary>
    /// Runs the graph on <paramref name="theta"/> and writes the gradient into <paramref name="gradient"/> (empty for
    /// value-only graphs): copied through the session's own arrays, or bound in place when <see cref="BindsCallerMemory"/>.
    /// </summary>
    public double Run(ReadOnlySpan<float> theta, Span<float> gradient, float likelihoodScale, float priorWeight)
    {
        if (!BindsCallerMemory)
        {
            theta.CopyTo(Theta);
            var value = Run(likelihoodScale, priorWeight);
            Gradient.AsSpan().CopyTo(gradient);
            return value;
        }
        if (theta.Length != Graph.Layout.Dimension || gradient.Length != (Graph.HasGradient ? Graph.Layout.Dimension : 0))
            throw new ArgumentException($"θ and gradient need {Graph.Layout.Dimension} elements; got {theta.Length} and {gradient.Length}.");
        SetCoefficients(likelihoodScale, priorWeight);
        var values = _perRunValues;
        // Pinned for this Run only; the binding keeps headers to this memory until the next Run rebinds them, never reads them in between.
        fixed (float* t = theta)
        fixed (float* g = gradient)
        {
            try
            {
                foreach (var view in Graph.ThetaViews)
                    _binding.BindInput(view.InputName, Wrap(values, t + view.Offset, view.Length, view.Shape));
                foreach (var slice in Graph.Gradient.Slices)
                    _binding.BindOutput(slice.OutputName, Wrap(values, g + slice.Offset, slice.Length, slice.Shape));
                RunBound();
            }
            finally
            {
                foreach (var v in values) v.Dispose();
                values.Clear();
            }
        }
        return Finish(theta, gradient, likelihoodScale, priorWeight);
    }

    /// <summary>
    /// Runs the graph on <paramref name="theta"/> and adds its gradient to <paramref name="sum"/>: straight from
    /// <see cref="Gradient"/>, or through <paramref name="scratch"/> (θ-sized) when <see cref="BindsCallerMemory"/>.
    /// </summary>
    public double RunAccumulating(ReadOnlySpan<float> theta, Span<float> sum, Span<float> scratch, float likelihoodScale, float priorWeight)
    {
        double value;
        ReadOnlySpan<float> gradient;
        if (BindsCallerMemory)
        {
            value = Run(theta, scratch, likelihoodScale, priorWeight);
            gradient = scratch;
        }
        else
        {
            theta.CopyTo(Theta);
            value = Run(likelihoodScale, priorWeight);
            gradient = Gradient;
        }
        TensorPrimitives.Add(sum, gradient, sum);
        return value;
    }

    /// <summary>Completes a run's gradient (empty for value-only graphs) and value with what the graph leaves to the host.</summary>
    private double Finish(ReadOnlySpan<float> theta, Span<float> gradient, float likelihoodScale, float priorWeight)
    {
        if (Graph.HasGradient)
        {
            Graph.Gradient.ClearUnwritten(gradient);
            Graph.Prior.AddGradient(theta, gradient, priorWeight);
        }
        return Graph.LogDensityAffine.Apply(_logDensity[0], likelihoodScale, priorWeight) + Graph.Prior.LogTerm(theta, priorWeight);
    }

    /// <summary>Fills the bound coefficient inputs for this (scale, weight), unless the previous run already did.</summary>
    private void SetCoefficients(float likelihoodScale, float priorWeight)
    {
        if (likelihoodScale.Equals(_coefficientScale) && priorWeight.Equals(_coefficientWeight)) return;
        var offset = 0;
        foreach (var c in Graph.Coefficients)
        {
            c.Fill(_coefficientValues.AsSpan(offset, c.Length), likelihoodScale, priorWeight);
            offset += c.Length;
        }
        (_coefficientScale, _coefficientWeight) = (likelihoodScale, priorWeight);
    }

    private static OrtValue Wrap(List<OrtValue> values, float* data, long length, long[] shape)
    {
        var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)data, length * sizeof(float));
        values.Add(value);
        return value;
    }

    public void Dispose()
    {
        _binding.Dispose();
        _prepBinding?.Dispose();
        foreach (var v in _owned) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _prep?.Dispose();
    }

    // The caller-memory values of the current Run (reused so a Run allocates no list).
    private readonly List<OrtValue> _perRunValues = [];

    private OrtValue Own(OrtValue value)
    {
        _owned.Add(value);
        return value;
    }

    internal static SessionOptions CreateSessionOptions(OrtLogDensityOptions options)
    {
        // Warnings off: ORT warns about the overridable coefficient inputs on every session.
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
