using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Which values of a graph depend only on its data inputs and constants (initializers that are not also graph inputs,
/// Constant nodes, the static shapes of its values): not on θ's views, not on the coefficient inputs, not on a random
/// op. They take the same value in every run on the same data, so a runner may compute them once per batch
/// (<see cref="DataOnlyPart"/>).
/// </summary>
internal sealed class DataOnlyAnalysis
{
    // Random ops give another value every run; subgraph ops may read outer values (θ) that their inputs do not show.
    private static readonly HashSet<string> NonDeterministic = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout",
    };

    private readonly HashSet<string> _constant = new(StringComparer.Ordinal);
    private readonly HashSet<string> _data = new(StringComparer.Ordinal);

    private DataOnlyAnalysis()
    {
    }

    /// <summary>One forward pass over <paramref name="graph"/>'s nodes (topologically sorted).</summary>
    public static DataOnlyAnalysis Compute(GraphProto graph, IEnumerable<string> dataInputs)
    {
        var a = new DataOnlyAnalysis();
        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
            if (!inputs.Contains(init.Name)) a._constant.Add(init.Name); // an initializer that is also an input is overridable
        foreach (var d in dataInputs) a._data.Add(d);
        foreach (var node in graph.Node)
        {
            if (!IsDeterministic(node)) continue;
            if (node.OpType is "Shape" or "Size" && node.Input.Count > 0 && (a._data.Contains(node.Input[0]) || a._constant.Contains(node.Input[0])))
            {
                // Density graphs have static shapes: ORT folds what follows from them, which a hoisted value would prevent.
                foreach (var output in node.Output) a._constant.Add(output);
                continue;
            }
            var fromData = false;
            var allKnown = true;
            foreach (var input in node.Input)
            {
                if (input.Length == 0 || a._constant.Contains(input)) continue;
                if (a._data.Contains(input)) fromData = true;
                else allKnown = false;
            }
            if (!allKnown) continue;
            foreach (var output in node.Output)
                if (output.Length > 0) (fromData ? a._data : a._constant).Add(output);
        }
        return a;
    }

    /// <summary>True for a value computed from the data (and possibly constants) alone, the data inputs included.</summary>
    public bool IsFromData(string value) => _data.Contains(value);

    /// <summary>True for a value computed from constants alone (ORT folds these itself).</summary>
    public bool IsConstant(string value) => _constant.Contains(value);

    /// <summary>True when a node gives the same outputs for the same inputs and reads nothing but its inputs.</summary>
    public static bool IsDeterministic(NodeProto node) =>
        !NonDeterministic.Contains(node.OpType) && node.Attribute.All(a => a.G is null && a.Graphs.Count == 0);
}
