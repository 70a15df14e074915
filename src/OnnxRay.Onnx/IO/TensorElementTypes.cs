using OnnxRay.Onnx.Protobuf;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.IO;

/// <summary>Facts about ONNX element types: byte width in the raw_data layout, names, float-ness.</summary>
public static class TensorElementTypes
{
    /// <summary>Bytes per element in the raw_data layout, or 0 for types without a fixed byte width (string, 4-bit and 2-bit packed types).</summary>
    public static int ByteSize(int dataType) => (DataType)dataType switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Uint8 or DataType.Int8 or DataType.Bool or DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz
            or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz or DataType.Float8E8M0 => 1,
        _ => 0,
    };

    /// <summary>True for FLOAT, DOUBLE, FLOAT16 and BFLOAT16: the types OnnxRay reads as float.</summary>
    public static bool IsReadableAsFloat(int dataType) =>
        (DataType)dataType is DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16;

    /// <summary>The upper-case ONNX name of an element type (e.g. "FLOAT16"), or "type N" when unknown.</summary>
    public static string Name(int dataType) =>
        Enum.IsDefined(typeof(DataType), dataType) ? ((DataType)dataType).ToString().ToUpperInvariant() : $"type {dataType}";

    /// <summary>Number of elements (product of dims; 1 for a scalar). Throws on a negative dim or overflow.</summary>
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            if (d < 0) throw new ArgumentException($"tensor '{tensor.Name}' has a negative dimension {d}");
            count = checked(count * d);
        }
        return count;
    }

    /// <summary>Number of bytes the tensor's data takes in the raw_data layout.</summary>
    public static long ByteCount(TensorProto tensor)
    {
        var size = ByteSize(tensor.DataType);
        if (size == 0) throw new NotSupportedException($"tensor '{tensor.Name}' has element type {Name(tensor.DataType)} without a fixed byte width");
        return checked(ElementCount(tensor) * size);
    }
}
