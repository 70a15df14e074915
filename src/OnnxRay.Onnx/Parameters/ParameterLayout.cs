using OnnxRay.Abstractions;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// Which initializers form θ, in which order, at which offsets (§3). Default set: every floating initializer that
/// reaches a graph output through at least one differentiable input slot, except BatchNormalization running
/// statistics and 1-element tensors (exporter constants). A name-glob selection replaces the default (and may pick
/// 1-element tensors explicitly). Order: first use in topological order. One initializer used by several nodes is
/// one parameter (its gradient is accumulated).
/// </summary>
public sealed class ParameterLayout
{
    private readonly Dictionary<string, ParameterTensor> _byName;
    private readonly Dictionary<string, float[]> _extraInitialValues;

    private ParameterLayout(IReadOnlyList<ParameterTensor> tensors, Dictionary<string, float[]> extraInitialValues)
    {
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _extraInitialValues = extraInitialValues;
        Dimension = tensors.Count == 0 ? 0 : tensors[^1].Offset + tensors[^1].Length;
        Groups = tensors.Select(t => new ParameterGroup(t.Name, t.Offset, t.Length)).ToArray();
    }

    /// <summary>Parameter tensors in θ order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Length D of θ.</summary>
    public int Dimension { get; }

    /// <summary>One group per parameter tensor.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    public ParameterTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"'{name}' is not a parameter tensor.");

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Builds the layout of <paramref name="model"/>.</summary>
    /// <param name="outputNames">Graph outputs the density depends on (null: all outputs).</param>
    public static ParameterLayout FromModel(OnnxModel model, ParameterSelection? selection = null, GradientRuleRegistry? registry = null,
        IReadOnlyCollection<string>? outputNames = null)
    {
        selection ??= ParameterSelection.Default;
        registry ??= GradientRuleRegistry.Default;
        var graph = model.Proto.Graph;
        var opset = OnnxModel.DefaultOpset(model.Proto);
        var nodes = graph.Node.Select(n => new NodeView(n, opset)).ToArray();
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var floating = graph.Initializer.Where(i => OnnxType.IsFloating(i.DataType)).Select(i => i.Name).ToArray();
        var sinks = outputNames ?? graph.Output.Select(o => o.Name).ToArray();
        var activity = ActivityAnalysis.Compute(nodes, floating, sinks, registry,
            v => initializers.TryGetValue(v, out var t) ? t.DataType : null);

        var runningStats = nodes.Where(n => n.OpType == "BatchNormalization")
            .SelectMany(n => new[] { n.Input(3), n.Input(4) }).Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
        var eligible = floating.Where(activity.IsActive).Where(n => !runningStats.Contains(n)).ToHashSet(StringComparer.Ordinal);

        HashSet<string> chosen;
        if (selection.IsDefault)
            chosen = eligible.Where(n => TensorData.ElementCount(initializers[n]) > 1).ToHashSet(StringComparer.Ordinal);
        else
        {
            var unmatched = selection.UnmatchedGlobs(eligible).ToArray();
            if (unmatched.Length > 0)
                throw new OnnxRayException(
                    $"{model.SourcePath}: --params glob(s) {string.Join(", ", unmatched.Select(g => $"'{g}'"))} match no differentiable floating initializer. " +
                    $"Candidates: {string.Join(", ", eligible.Order(StringComparer.Ordinal))}.");
            chosen = eligible.Where(selection.Matches).ToHashSet(StringComparer.Ordinal);
        }

        var tensors = new List<ParameterTensor>();
        var offset = 0;
        foreach (var node in graph.Node)
            foreach (var input in node.Input)
                if (chosen.Remove(input))
                {
                    var init = initializers[input];
                    var count = TensorData.ElementCount(init);
                    if (offset + count > Array.MaxLength)
                        throw new OnnxRayException($"{model.SourcePath}: θ would exceed {Array.MaxLength} elements at tensor '{input}'; select fewer tensors with --params.");
                    tensors.Add(new ParameterTensor(input, init.Dims.ToArray(), offset, (int)count, ParameterTensor.FanInOf(init.Dims), init.DataType));
                    offset += (int)count;
                }
        if (tensors.Count == 0)
            throw new OnnxRayException($"{model.SourcePath}: no initializer qualifies as a parameter (floating, differentiable, more than one element). Use --params to choose tensors.");
        return new ParameterLayout(tensors, new Dictionary<string, float[]>(StringComparer.Ordinal));
    }

    /// <summary>A layout from explicit tensors (name, shape), in order; for tests and synthetic densities.</summary>
    public static ParameterLayout FromTensors(IEnumerable<(string Name, long[] Shape)> tensors)
    {
        var list = new List<ParameterTensor>();
        var offset = 0;
        foreach (var (name, shape) in tensors)
        {
            var count = (int)shape.Aggregate(1L, (a, d) => a * d);
            list.Add(new ParameterTensor(name, shape, offset, count, ParameterTensor.FanInOf(shape), OnnxType.Float));
            offset += count;
        }
        return new ParameterLayout(list, new Dictionary<string, float[]>(StringComparer.Ordinal));
    }

    /// <summary>
    /// A copy with one more float parameter that is not a model initializer (e.g. log_sigma), appended as its own group.
    /// </summary>
    public ParameterLayout WithExtraParameter(string name, long[] shape, float[] initialValue)
    {
        if (_byName.ContainsKey(name)) throw new OnnxRayException($"Parameter name '{name}' is already used by a model initializer.");
        var count = (int)shape.Aggregate(1L, (a, d) => a * d);
        if (initialValue.Length != count) throw new ArgumentException($"Initial value of '{name}' has {initialValue.Length} elements, shape needs {count}.");
        var extra = new Dictionary<string, float[]>(_extraInitialValues, StringComparer.Ordinal) { [name] = initialValue };
        return new ParameterLayout([.. Tensors, new ParameterTensor(name, shape, Dimension, count, ParameterTensor.FanInOf(shape), OnnxType.Float, IsInitializer: false)], extra);
    }

    /// <summary>θ₀: the initializer values (and the initial values of extra parameters), in layout order.</summary>
    public float[] ReadInitialTheta(OnnxModel model)
    {
        var theta = new float[Dimension];
        var initializers = model.Proto.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var t in Tensors)
        {
            var destination = theta.AsSpan(t.Offset, t.Length);
            if (!t.IsInitializer) _extraInitialValues[t.Name].CopyTo(destination);
            else if (initializers.TryGetValue(t.Name, out var init)) TensorData.ReadFloats(model, init, destination);
            else throw new OnnxRayException($"{model.SourcePath}: parameter tensor '{t.Name}' is not an initializer of this model.");
        }
        return theta;
    }

    /// <summary>The slices of θ as named arrays (each flat, C order; use <see cref="ParameterTensor.Shape"/>).</summary>
    public IReadOnlyDictionary<string, float[]> SplitByTensor(ReadOnlySpan<float> theta)
    {
        CheckLength(theta.Length);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var t in Tensors) result[t.Name] = theta.Slice(t.Offset, t.Length).ToArray();
        return result;
    }

    /// <summary>A copy of <paramref name="model"/> whose parameter initializers hold the values of <paramref name="theta"/>.</summary>
    public OnnxModel WithTheta(OnnxModel model, ReadOnlySpan<float> theta)
    {
        CheckLength(theta.Length);
        var proto = model.Proto.Clone();
        var inits = proto.Graph.Initializer;
        for (var i = 0; i < inits.Count; i++)
        {
            if (!_byName.TryGetValue(inits[i].Name, out var t)) continue;
            var values = theta.Slice(t.Offset, t.Length);
            inits[i] = t.ElementType == OnnxType.Double
                ? TensorData.FromDoubles(t.Name, t.Shape, values.ToArray().Select(v => (double)v).ToArray())
                : t.ElementType == OnnxType.Float
                    ? TensorData.FromFloats(t.Name, t.Shape, values)
                    : throw new OnnxRayException($"Writing parameter '{t.Name}' back as ONNX element type {t.ElementType} is not supported.");
        }
        return model.WithProto(proto);
    }

    private void CheckLength(int length)
    {
        if (length != Dimension) throw new ArgumentException($"θ has {length} elements; the parameter layout has {Dimension}.");
    }
}
