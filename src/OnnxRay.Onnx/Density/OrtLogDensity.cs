using Microsoft.ML.OnnxRuntime;
using OnnxRay.Abstractions;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// The log posterior of an ONNX model's parameters, evaluated by ONNX Runtime on a generated value-and-gradient graph.
/// Full batch (deterministic) or minibatch (likelihood scaled by N/B, shuffled epochs with a saved/restored feeder).
/// Exact evaluations run over the whole data set in chunks of B (plus one remainder graph when B does not divide N).
/// One instance per chain; not thread-safe.
/// </summary>
public sealed class OrtLogDensity : ILogDensity, ICheckpointableDensity, IDisposable
{
    private readonly OnnxModel _model;
    private readonly DensityOptions _density;
    private readonly OrtLogDensityOptions _options;
    private readonly bool _ignoredTargets;
    private readonly long _hoistLimitBytes; // the graphs' OrtLogDensityOptions.HoistLimitBytes: 0 for minibatch densities
    private readonly DensityData _data;
    private readonly GradientRuleRegistry _registry;
    private readonly GraphSession _main;
    private readonly MinibatchFeeder? _feeder;
    private readonly Array[] _batchBuffers = [];
    private readonly OrtValue[] _batchValues = [];
    private readonly List<OrtValue> _owned = [];
    private GraphSession? _remainder, _valueMain, _valueRemainder;
    private List<OrtValue[]>? _chunks;
    private OrtValue[]? _remainderChunk;
    private float[]? _chunkGradient;

    private OrtLogDensity(OnnxModel model, DensityData data, DensityOptions density, OrtLogDensityOptions options, ParameterLayout layout, GradientRuleRegistry registry)
    {
        _model = model;
        _density = density;
        _options = options;
        _data = data;
        _registry = registry;
        DataSetSize = data.Count;
        BatchSize = options.BatchSize is { } b && b < data.Count ? b : data.Count;
        if (BatchSize <= 0) throw new DataMismatchException(data.Source, "*", "the data set is empty.");
        IsStochastic = BatchSize < DataSetSize;
        BindsCallerMemory = layout.Dimension >= options.BindCallerMemoryFromDimension;
        // Hoisting pays only where the data stays: minibatches (and exact chunks) would run the data-only part per evaluation.
        _hoistLimitBytes = IsStochastic ? 0 : options.HoistLimitBytes;
        var scale = (double)DataSetSize / BatchSize;
        var firstBatch = data.Rows(0, BatchSize);
        // Checked once over the whole data set, so every batch's graph may drop the ignore-index mask.
        _ignoredTargets = density.Likelihood.Kind != LikelihoodKind.Categorical || !data.Arrays.TryGetValue(DensityGraph.TargetInput, out var targets)
                          || DensityData.ContainsTarget(targets, density.Likelihood.IgnoreIndex);
        var graph = DensityGraphBuilder.Build(model, layout, density, firstBatch, scale, withGradient: true, registry, options.IsCpu, _ignoredTargets, _hoistLimitBytes);
        if (graph.ClassCount is { } classes)
            DensityData.ThrowIfClassOutOfRange(data.Source, data.Arrays[DensityGraph.TargetInput], classes, density.Likelihood.IgnoreIndex);
        Layout = graph.Layout;
        InitialTheta = Layout.ReadInitialTheta(model);
        _main = new GraphSession(graph, options, BindsCallerMemory);
        if (IsStochastic)
        {
            var random = options.MinibatchRandom
                         ?? throw new ArgumentException("OrtLogDensityOptions.MinibatchRandom is required when BatchSize < N (minibatch mode).");
            _feeder = new MinibatchFeeder(DataSetSize, BatchSize, random);
            _batchBuffers = graph.DataInputs.Select(d => (Array)firstBatch[d.Name].Data.Clone()).ToArray();
            _batchValues = graph.DataInputs.Select((d, i) => Own(OrtTensors.Wrap(_batchBuffers[i], d.Shape))).ToArray();
            _main.SetData(_batchValues);
        }
        else
            _main.SetData(Chunks()[0]);
    }

    /// <summary>Builds the density of <paramref name="model"/> (already normalised) over <paramref name="data"/>.</summary>
    public static OrtLogDensity Create(OnnxModel model, DensityData data, DensityOptions density, OrtLogDensityOptions? options = null,
        ParameterSelection? selection = null, GradientRuleRegistry? registry = null)
    {
        registry ??= GradientRuleRegistry.Default;
        var prediction = density.Likelihood.OutputName ?? density.OutputName;
        var outputs = prediction is null ? [model.Proto.Graph.Output.FirstOrDefault()?.Name ?? ""] : new[] { prediction };
        var layout = ParameterLayout.FromModel(model, selection, registry, outputs);
        return new OrtLogDensity(model, data.Prepare(model, density.Likelihood), density, options ?? new OrtLogDensityOptions(), layout, registry);
    }

    /// <summary>θ layout: one group per parameter tensor (log_sigma last for the learned-noise gaussian).</summary>
    public ParameterLayout Layout { get; }

    /// <summary>θ₀ from the model's initializers.</summary>
    public float[] InitialTheta { get; }

    /// <summary>The value-and-gradient graph used by <see cref="Evaluate"/>.</summary>
    public DensityGraph Graph => _main.Graph;

    public int Dimension => Layout.Dimension;
    public bool IsStochastic { get; }
    public long DataSetSize { get; }
    public long BatchSize { get; }
    public IReadOnlyList<ParameterGroup> Groups => Layout.Groups;

    /// <summary>True when evaluations bind ONNX Runtime to the caller's θ and gradient (see <see cref="OrtLogDensityOptions.BindCallerMemoryFromDimension"/>).</summary>
    public bool BindsCallerMemory { get; }

    /// <summary>Number of gradient evaluations so far (all kinds).</summary>
    public long Evaluations { get; private set; }

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        if (!IsStochastic) return EvaluateExact(theta, gradient);
        CheckLengths(theta, gradient);
        GatherBatch(_feeder!.Next());
        _main.DataChanged();
        var value = _main.Run(theta, gradient, (float)((double)DataSetSize / BatchSize), 1f);
        Evaluations++;
        return value;
    }

    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        CheckLengths(theta, gradient);
        if (!IsStochastic)
        {
            var v = _main.Run(theta, gradient, 1f, 1f);
            Evaluations++;
            return v;
        }
        var chunks = Chunks();
        // Chunks of B with scale 1; the prior enters once (first chunk). Sums in double. Binding the caller's memory,
        // each chunk's gradient lands in one scratch array (allocated at the first exact minibatch evaluation).
        var total = 0.0;
        var scratch = BindsCallerMemory ? _chunkGradient ??= new float[Dimension] : [];
        gradient.Clear();
        for (var c = 0; c < chunks.Count; c++)
        {
            _main.SetData(chunks[c]);
            total += _main.RunAccumulating(theta, gradient, scratch, 1f, c == 0 ? 1f : 0f);
        }
        if (_remainderChunk is not null)
        {
            var r = _remainder ??= BuildSession(DataSetSize - DataSetSize % BatchSize, DataSetSize % BatchSize, true);
            r.SetData(_remainderChunk);
            total += r.RunAccumulating(theta, gradient, scratch, 1f, 0f);
        }
        _main.SetData(_batchValues);
        Evaluations++;
        return total;
    }

    public double EvaluateValue(ReadOnlySpan<float> theta)
    {
        if (theta.Length != Dimension) throw new ArgumentException($"θ has {theta.Length} elements; the density has {Dimension}.");
        var chunks = Chunks();
        var main = _valueMain ??= BuildSession(0, BatchSize, false);
        var total = 0.0;
        for (var c = 0; c < chunks.Count; c++)
        {
            main.SetData(chunks[c]);
            total += main.Run(theta, [], 1f, c == 0 ? 1f : 0f);
        }
        if (_remainderChunk is not null)
        {
            var r = _valueRemainder ??= BuildSession(DataSetSize - DataSetSize % BatchSize, DataSetSize % BatchSize, false);
            r.SetData(_remainderChunk);
            total += r.Run(theta, [], 1f, 0f);
        }
        return total;
    }

    /// <summary>Names of the parameter tensors whose gradient has NaN/∞ entries, with the count of such entries.</summary>
    public IReadOnlyList<(string Tensor, int NonFiniteCount)> NonFiniteGradientTensors(ReadOnlySpan<float> gradient)
    {
        var result = new List<(string, int)>();
        foreach (var t in Layout.Tensors)
        {
            var bad = 0;
            foreach (var g in gradient.Slice(t.Offset, t.Length))
                if (!float.IsFinite(g)) bad++;
            if (bad > 0) result.Add((t.Name, bad));
        }
        return result;
    }

    /// <summary>Throws <see cref="NonFiniteGradientException"/> naming the tensors at fault when log p or its gradient is not finite.</summary>
    public void ThrowIfNonFinite(double logDensity, ReadOnlySpan<float> gradient)
    {
        var bad = NonFiniteGradientTensors(gradient);
        if (double.IsFinite(logDensity) && bad.Count == 0) return;
        var detail = bad.Count == 0 ? "" : " Non-finite gradient in: " + string.Join(", ", bad.Select(b => $"'{b.Tensor}' ({b.NonFiniteCount} elements)")) + ".";
        throw new NonFiniteGradientException($"{_model.SourcePath}: log density = {logDensity}.{detail}");
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(IsStochastic);
        _feeder?.SaveState(writer);
    }

    public void RestoreState(BinaryReader reader)
    {
        var stochastic = reader.ReadBoolean();
        if (stochastic != IsStochastic)
            throw new InvalidDataException($"Checkpoint was written by a {(stochastic ? "minibatch" : "full-batch")} density; this one is {(IsStochastic ? "minibatch" : "full-batch")}.");
        _feeder?.RestoreState(reader);
    }

    public void Dispose()
    {
        _main.Dispose();
        _remainder?.Dispose();
        _valueMain?.Dispose();
        _valueRemainder?.Dispose();
        foreach (var v in _owned) v.Dispose();
    }

    private GraphSession BuildSession(long firstRow, long rows, bool withGradient)
    {
        var graph = DensityGraphBuilder.Build(_model, Layout, _density, _data.Rows(firstRow, rows), 1.0, withGradient, _registry, _options.IsCpu, _ignoredTargets, _hoistLimitBytes);
        return new GraphSession(graph, _options, BindsCallerMemory);
    }

    /// <summary>Zero-copy views of the data in full chunks of B rows (and the remainder), created once.</summary>
    private List<OrtValue[]> Chunks()
    {
        if (_chunks is not null) return _chunks;
        var inputs = _main.Graph.DataInputs;
        OrtValue[] View(long first, long count) =>
            inputs.Select(d => Own(OrtTensors.WrapRows(_data.Arrays[d.Name].Data, d.Shape, first, count))).ToArray(); // rows in the declared shape
        _chunks = [];
        for (long first = 0; first + BatchSize <= DataSetSize; first += BatchSize) _chunks.Add(View(first, BatchSize));
        if (DataSetSize % BatchSize != 0) _remainderChunk = View(DataSetSize - DataSetSize % BatchSize, DataSetSize % BatchSize);
        return _chunks;
    }

    private void GatherBatch(ReadOnlySpan<int> indices)
    {
        var inputs = _main.Graph.DataInputs;
        for (var k = 0; k < inputs.Count; k++)
        {
            var source = _data.Arrays[inputs[k].Name];
            var row = (int)DensityData.RowSize(source);
            var destination = _batchBuffers[k];
            for (var i = 0; i < indices.Length; i++) Array.Copy(source.Data, (long)indices[i] * row, destination, (long)i * row, row);
        }
    }

    private void CheckLengths(ReadOnlySpan<float> theta, Span<float> gradient)
    {
        if (theta.Length != Dimension || gradient.Length != Dimension)
            throw new ArgumentException($"θ and gradient need {Dimension} elements; got {theta.Length} and {gradient.Length}.");
    }

    private OrtValue Own(OrtValue value)
    {
        _owned.Add(value);
        return value;
    }
}
