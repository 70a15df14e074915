using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Several draws in one ONNX graph: copy j of the forward graph gets every value name prefixed with its own
/// <c>onnxray_draw{j}/</c>, that draw's weights as constant initializers, and its own output, while the data inputs
/// and the unsampled initializers are shared. One ORT run then evaluates the whole group: ORT's per-run cost is paid
/// once per group instead of once per draw, and each copy's weights are still pre-packed like the original model's.
/// </summary>
internal static class DrawGroupGraph
{
    /// <summary>
    /// Whether the graph can be copied by renaming its values: a node holding a subgraph (If, Loop, Scan) may refer to
    /// outer values by name from inside it, which this renaming does not follow; and an output that is not computed
    /// by a node (an input or initializer passed through) would be the same value in every copy.
    /// </summary>
    public static bool CanReplicate(GraphProto graph, string output) =>
        graph.Node.Any(n => n.Output.Contains(output)) &&
        graph.Node.All(n => n.Attribute.All(a => a.G is null && a.Graphs.Count == 0));

    /// <summary>The output name copy <paramref name="draw"/> of a group writes <paramref name="output"/> to.</summary>
    public static string OutputName(string output, int draw) => Prefix(draw) + output;

    /// <summary>
    /// <paramref name="graph"/>'s model (θ tensors as the inputs <paramref name="views"/>) holding the draws
    /// <paramref name="thetas"/>, one renamed copy each, with outputs <see cref="OutputName"/>(output, j).
    /// </summary>
    public static ModelProto Build(ModelProto model, IReadOnlyList<ThetaView> views, IReadOnlyList<float[]> thetas, string output)
    {
        var source = model.Graph;
        var viewNames = views.Select(v => v.InputName).ToHashSet(StringComparer.Ordinal);
        var dataInputs = source.Input.Where(i => !viewNames.Contains(i.Name)).ToList();
        // Names every copy shares: the data inputs and the initializers that are not sampled (shape constants, frozen weights).
        var shared = dataInputs.Select(i => i.Name).Concat(source.Initializer.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        shared.Add("");

        var result = model.Clone();
        var graph = result.Graph;
        graph.Node.Clear();
        graph.Input.Clear();
        graph.Input.Add(dataInputs);
        graph.Output.Clear();
        graph.ValueInfo.Clear();
        var outputInfo = source.Output.Single(o => o.Name == output);
        for (var j = 0; j < thetas.Count; j++)
        {
            var prefix = Prefix(j);
            string Rename(string name) => shared.Contains(name) ? name : prefix + name;
            foreach (var node in source.Node)
            {
                var copy = node.Clone();
                copy.Name = node.Name.Length == 0 ? "" : prefix + node.Name;
                for (var i = 0; i < copy.Input.Count; i++) copy.Input[i] = Rename(copy.Input[i]);
                for (var i = 0; i < copy.Output.Count; i++) copy.Output[i] = Rename(copy.Output[i]);
                graph.Node.Add(copy);
            }
            foreach (var info in source.ValueInfo)
            {
                var copy = info.Clone();
                copy.Name = Rename(info.Name);
                graph.ValueInfo.Add(copy);
            }
            foreach (var v in views)
                graph.Initializer.Add(TensorData.FromFloats(prefix + v.InputName, v.Shape, thetas[j].AsSpan(v.Offset, (int)v.Length)));
            var outputCopy = outputInfo.Clone();
            outputCopy.Name = Rename(output);
            graph.Output.Add(outputCopy);
        }
        return result;
    }

    private static string Prefix(int draw) => $"onnxray_draw{draw}/";
}
