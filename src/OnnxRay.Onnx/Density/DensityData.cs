using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// The data set of a density: one array per model data input (by input name) plus <c>target</c>, all with the same
/// leading dimension N (C order, so a run of rows is a contiguous slice). <see cref="Prepare"/> checks them against
/// the model and converts lossless dtype differences (float64 → float32 inputs, int32 → int64 class targets).
/// </summary>
public sealed class DensityData
{
    private DensityData(IReadOnlyDictionary<string, NpyArray> arrays, string source, long count)
    {
        Arrays = arrays;
        Source = source;
        Count = count;
    }

    /// <summary>The arrays by name.</summary>
    public IReadOnlyDictionary<string, NpyArray> Arrays { get; }

    /// <summary>Where the data came from (file path or "&lt;memory&gt;"), used in errors.</summary>
    public string Source { get; }

    /// <summary>Number of examples N.</summary>
    public long Count { get; }

    public static DensityData FromNpz(string path) => FromArrays(NpzFile.Read(path), path);

    public static DensityData FromArrays(IReadOnlyDictionary<string, NpyArray> arrays, string source = "<memory>")
    {
        long? n = null;
        string? first = null;
        foreach (var (name, a) in arrays)
        {
            if (a.Shape.Length == 0) continue;
            if (n is null) { n = a.Shape[0]; first = name; }
            else if (a.Shape[0] != n)
                throw new DataMismatchException(source, name, $"has {a.Shape[0]} rows but '{first}' has {n}; every array needs the same first dimension N.");
        }
        return new DensityData(arrays, source, n ?? 0);
    }

    /// <summary>
    /// The arrays the density graph consumes, validated against the model's data inputs and the likelihood's target,
    /// converted to the element types the graph expects.
    /// </summary>
    public DensityData Prepare(OnnxModel model, LikelihoodSpec likelihood)
    {
        var graph = model.Proto.Graph;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var prepared = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var input in graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            if (!Arrays.TryGetValue(input.Name, out var array))
                throw new DataMismatchException(Source, input.Name,
                    $"missing: the model input '{input.Name}' needs an array of that name (arrays present: {string.Join(", ", Arrays.Keys)}).");
            var tensorType = input.Type?.TensorType;
            var elementType = tensorType?.ElemType ?? OnnxType.Float;
            var converted = Convert(array, elementType, input.Name);
            if (tensorType?.Shape is { } shape)
            {
                if (shape.Dim.Count != converted.Shape.Length)
                    throw new DataMismatchException(Source, input.Name,
                        $"has rank {converted.Shape.Length} (shape [{string.Join(",", converted.Shape)}]) but the model input expects rank {shape.Dim.Count} ({Describe(shape)}).");
                for (var d = 1; d < shape.Dim.Count; d++)
                    if (shape.Dim[d].DimValue > 0 && shape.Dim[d].DimValue != converted.Shape[d])
                        throw new DataMismatchException(Source, input.Name,
                            $"has shape [{string.Join(",", converted.Shape)}] but the model input expects {Describe(shape)} (dimension {d} differs).");
            }
            prepared[input.Name] = converted;
        }
        if (likelihood.NeedsTarget)
        {
            if (!Arrays.TryGetValue(DensityGraph.TargetInput, out var target))
                throw new DataMismatchException(Source, DensityGraph.TargetInput, $"missing: likelihood {likelihood} needs an array named 'target'.");
            prepared[DensityGraph.TargetInput] = likelihood.Kind == LikelihoodKind.Categorical
                ? Convert(target, OnnxType.Int64, DensityGraph.TargetInput)
                : Convert(target, OnnxType.Float, DensityGraph.TargetInput);
        }
        return FromArrays(prepared, Source);
    }

    /// <summary>True when some element of the int64 <paramref name="target"/> array equals <paramref name="value"/> (other element types: true, the safe answer).</summary>
    internal static bool ContainsTarget(NpyArray target, long value) => target.Data is not long[] classes || Array.IndexOf(classes, value) >= 0;

    /// <summary>
    /// Throws when a categorical target is neither a class index in [−K, K) (negative ones count from the end, as ONNX's
    /// OneHot does) nor the ignore index: the graph's one-hot would silently drop such a row.
    /// </summary>
    internal static void ThrowIfClassOutOfRange(string source, NpyArray target, long classCount, long ignoreIndex)
    {
        if (target.Data is not long[] classes) return;
        for (var i = 0; i < classes.Length; i++)
            if (classes[i] != ignoreIndex && (classes[i] >= classCount || classes[i] < -classCount))
                throw new DataMismatchException(source, DensityGraph.TargetInput,
                    $"element {i} is class {classes[i]}, outside [0, {classCount}) for {classCount} logits (and not the ignore index {ignoreIndex}).");
    }

    /// <summary>Copies rows <paramref name="first"/>…first+count−1 of every array.</summary>
    public IReadOnlyDictionary<string, NpyArray> Rows(long first, long count)
    {
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var (name, a) in Arrays)
        {
            var row = RowSize(a);
            var data = Array.CreateInstance(a.Data.GetType().GetElementType()!, (int)(count * row));
            Array.Copy(a.Data, first * row, data, 0, count * row);
            result[name] = new NpyArray(a.Dtype, [count, .. a.Shape.Skip(1)], data);
        }
        return result;
    }

    internal static long RowSize(NpyArray a) => a.Shape.Skip(1).Aggregate(1L, (x, d) => x * d);

    private NpyArray Convert(NpyArray array, int elementType, string name)
    {
        var have = OrtTensors.OnnxTypeOf(array.Dtype);
        if (have == elementType) return array;
        return (elementType, array.Data) switch
        {
            (OnnxType.Float, double[] or Half[] or int[] or long[] or byte[] or bool[]) => new NpyArray(NpyDtypes.Float32, array.Shape, array.ToFloats()),
            (OnnxType.Int64, int[] or byte[] or bool[]) => new NpyArray(NpyDtypes.Int64, array.Shape, array.ToInt64s()),
            (OnnxType.Double, float[] or int[] or long[]) => new NpyArray(NpyDtypes.Float64, array.Shape, array.ToDoubles()),
            _ => throw new DataMismatchException(Source, name,
                $"has dtype {array.Dtype} but {(name == DensityGraph.TargetInput ? "the likelihood" : "the model input")} needs {OrtTensors.DtypeOf(elementType)} (no lossless conversion)."),
        };
    }

    private static string Describe(Protobuf.TensorShapeProto shape) =>
        "[" + string.Join(",", shape.Dim.Select(d => d.DimValue > 0 ? d.DimValue.ToString() : d.DimParam.Length > 0 ? d.DimParam : "?")) + "]";
}
