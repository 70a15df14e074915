using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// IR &lt; 4 models (e.g. the PyTorch 0.3 exports in the ONNX test data) list every initializer as a graph input too.
/// Those are defaults, not data: remove them from the inputs so only real data inputs remain.
/// </summary>
internal static class InitializerInputs
{
    public static void Drop(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var kept = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        graph.Input.Clear();
        graph.Input.AddRange(kept);
    }
}
