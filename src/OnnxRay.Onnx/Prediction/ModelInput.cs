using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Prediction;

/// <summary>A model data input: name, ONNX element type, dimensions (0 where dynamic, e.g. the batch axis).</summary>
public sealed record ModelInput(string Name, int ElementType, long[] Dimensions)
{
    public static ModelInput From(ValueInfoProto value) => new(
        value.Name,
        value.Type?.TensorType?.ElemType ?? 0,
        value.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? []);
}
