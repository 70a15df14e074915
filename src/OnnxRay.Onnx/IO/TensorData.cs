using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.Protobuf;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// Reads ONNX tensors into .NET arrays and spans and builds tensors from them. Data may sit in raw_data,
/// in the typed field matching data_type, or in a validated external file (pass the owning model so its folder
/// is known). FLOAT16/BFLOAT16/DOUBLE convert to float on the way in.
/// </summary>
public static class TensorData
{
    private const int ChunkBytes = 1 << 16;

    /// <summary>Number of elements (product of dims; 1 for a scalar).</summary>
    public static long ElementCount(TensorProto tensor) => TensorElementTypes.ElementCount(tensor);

    /// <summary>Bytes per element in the raw_data layout (0 for string and sub-byte types).</summary>
    public static int ElementSize(int dataType) => TensorElementTypes.ByteSize(dataType);

    /// <summary>Bytes the tensor's data takes in the raw_data layout.</summary>
    public static long ByteCount(TensorProto tensor) => TensorElementTypes.ByteCount(tensor);

    // ---------------------------------------------------------------- float / double

    /// <summary>The tensor's values as float (FLOAT, DOUBLE, FLOAT16 or BFLOAT16).</summary>
    public static float[] ReadFloats(OnnxModel? model, TensorProto tensor)
    {
        var result = new float[CheckedCount(model, tensor)];
        ReadFloats(model, tensor, result);
        return result;
    }

    /// <summary>Writes the tensor's values as float into <paramref name="destination"/>, whose length must equal the element count.</summary>
    public static void ReadFloats(OnnxModel? model, TensorProto tensor, Span<float> destination)
    {
        var type = (DataType)tensor.DataType;
        if (!TensorElementTypes.IsReadableAsFloat(tensor.DataType))
            throw Format(model, tensor, $"has element type {TensorElementTypes.Name(tensor.DataType)}, which cannot be read as float");
        CheckDestination(model, tensor, destination.Length);
        using var raw = OpenRaw(model, tensor);
        if (raw is not null)
        {
            if (type == DataType.Float)
            {
                // In pieces: one byte span over more than 2^29 floats would overflow its int length.
                const int piece = 1 << 26;
                for (var start = 0; start < destination.Length; start += piece)
                    raw.ReadExactly(MemoryMarshal.AsBytes(destination.Slice(start, Math.Min(piece, destination.Length - start))));
                return;
            }
            DecodeChunks(raw, tensor.DataType, destination, static (bytes, type, dest) =>
            {
                for (var i = 0; i < dest.Length; i++) dest[i] = (float)DecodeFloating(bytes, type, i);
            });
            return;
        }
        switch (type)
        {
            case DataType.Float: for (var i = 0; i < destination.Length; i++) destination[i] = tensor.FloatData[i]; break;
            case DataType.Double: for (var i = 0; i < destination.Length; i++) destination[i] = (float)tensor.DoubleData[i]; break;
            default: for (var i = 0; i < destination.Length; i++) destination[i] = (float)HalfBitsToDouble(type, tensor.Int32Data[i]); break;
        }
    }

    /// <summary>The tensor's values as double (FLOAT, DOUBLE, FLOAT16 or BFLOAT16).</summary>
    public static double[] ReadDoubles(OnnxModel? model, TensorProto tensor)
    {
        var type = (DataType)tensor.DataType;
        if (!TensorElementTypes.IsReadableAsFloat(tensor.DataType))
            throw Format(model, tensor, $"has element type {TensorElementTypes.Name(tensor.DataType)}, which cannot be read as double");
        var result = new double[CheckedCount(model, tensor)];
        using var raw = OpenRaw(model, tensor);
        if (raw is not null)
        {
            DecodeChunks(raw, tensor.DataType, result.AsSpan(), static (bytes, type, dest) =>
            {
                for (var i = 0; i < dest.Length; i++) dest[i] = DecodeFloating(bytes, type, i);
            });
            return result;
        }
        for (var i = 0; i < result.Length; i++)
            result[i] = type switch
            {
                DataType.Float => tensor.FloatData[i],
                DataType.Double => tensor.DoubleData[i],
                _ => HalfBitsToDouble(type, tensor.Int32Data[i]),
            };
        return result;
    }

    // ---------------------------------------------------------------- integers and bools

    /// <summary>The tensor's values as long (any integer type or BOOL).</summary>
    public static long[] ReadInt64s(OnnxModel? model, TensorProto tensor)
    {
        var type = (DataType)tensor.DataType;
        if (!IsInteger(type))
            throw Format(model, tensor, $"has element type {TensorElementTypes.Name(tensor.DataType)}, expected an integer type");
        var result = new long[CheckedCount(model, tensor)];
        using var raw = OpenRaw(model, tensor);
        if (raw is not null)
        {
            DecodeChunks(raw, tensor.DataType, result.AsSpan(), static (bytes, type, dest) =>
            {
                for (var i = 0; i < dest.Length; i++) dest[i] = DecodeInteger(bytes, type, i);
            });
            return result;
        }
        for (var i = 0; i < result.Length; i++)
            result[i] = type switch
            {
                DataType.Int64 => tensor.Int64Data[i],
                DataType.Uint32 => (long)tensor.Uint64Data[i],
                DataType.Uint64 => checked((long)tensor.Uint64Data[i]),
                _ => tensor.Int32Data[i],
            };
        return result;
    }

    /// <summary>The tensor's values as int (any integer type or BOOL; 64-bit values must fit).</summary>
    public static int[] ReadInt32s(OnnxModel? model, TensorProto tensor)
    {
        var wide = ReadInt64s(model, tensor);
        var result = new int[wide.Length];
        for (var i = 0; i < wide.Length; i++)
        {
            if (wide[i] is < int.MinValue or > int.MaxValue)
                throw Format(model, tensor, $"element {i} = {wide[i]} does not fit in int32");
            result[i] = (int)wide[i];
        }
        return result;
    }

    /// <summary>The tensor's values as bool (BOOL, or an integer type where non-zero is true).</summary>
    public static bool[] ReadBools(OnnxModel? model, TensorProto tensor) =>
        ReadInt64s(model, tensor).Select(v => v != 0).ToArray();

    /// <summary>The tensor's bytes in the raw_data layout (little-endian, fixed width), whatever field or file holds them.</summary>
    public static byte[] ReadRawBytes(OnnxModel? model, TensorProto tensor)
    {
        var byteCount = CheckedByteCount(model, tensor);
        if (byteCount > Array.MaxLength) throw Format(model, tensor, $"holds {byteCount} bytes, more than one array can hold");
        var result = new byte[byteCount];
        using var raw = OpenRaw(model, tensor);
        if (raw is not null) { raw.ReadExactly(result); return result; }
        var type = (DataType)tensor.DataType;
        var span = result.AsSpan();
        var size = TensorElementTypes.ByteSize(tensor.DataType);
        for (var i = 0; i < result.Length / size; i++)
        {
            var at = span.Slice(i * size, size);
            switch (type)
            {
                case DataType.Float: BinaryPrimitives.WriteSingleLittleEndian(at, tensor.FloatData[i]); break;
                case DataType.Double: BinaryPrimitives.WriteDoubleLittleEndian(at, tensor.DoubleData[i]); break;
                case DataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(at, tensor.Int64Data[i]); break;
                case DataType.Uint64: BinaryPrimitives.WriteUInt64LittleEndian(at, tensor.Uint64Data[i]); break;
                case DataType.Uint32: BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)tensor.Uint64Data[i]); break;
                case DataType.Complex64:
                    BinaryPrimitives.WriteSingleLittleEndian(at, tensor.FloatData[2 * i]);
                    BinaryPrimitives.WriteSingleLittleEndian(at[4..], tensor.FloatData[2 * i + 1]);
                    break;
                case DataType.Complex128:
                    BinaryPrimitives.WriteDoubleLittleEndian(at, tensor.DoubleData[2 * i]);
                    BinaryPrimitives.WriteDoubleLittleEndian(at[8..], tensor.DoubleData[2 * i + 1]);
                    break;
                default:
                    var bits = tensor.Int32Data[i];
                    if (size == 4) BinaryPrimitives.WriteInt32LittleEndian(at, bits);
                    else if (size == 2) BinaryPrimitives.WriteInt16LittleEndian(at, (short)bits);
                    else at[0] = (byte)bits;
                    break;
            }
        }
        return result;
    }

    /// <summary>A copy of the tensor with its data in raw_data (external data read in, typed fields cleared).</summary>
    public static TensorProto ToRawData(OnnxModel? model, TensorProto tensor)
    {
        if (tensor.DataType == (int)DataType.String) return tensor.Clone();
        var bytes = ReadRawBytes(model, tensor);
        var copy = tensor.Clone();
        ClearData(copy);
        copy.RawData = ByteString.CopyFrom(bytes);
        return copy;
    }

    /// <summary>Removes every data field and external-data entry (keeps name, dims, type, docs, unknown fields).</summary>
    public static void ClearData(TensorProto tensor)
    {
        tensor.FloatData.Clear();
        tensor.DoubleData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.Uint64Data.Clear();
        tensor.RawData = ByteString.Empty;
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.Default;
    }

    // ---------------------------------------------------------------- builders

    /// <summary>A FLOAT tensor with the given dims and values (stored as raw_data).</summary>
    public static TensorProto FromFloats(string name, long[] dims, ReadOnlySpan<float> values) =>
        Build(name, dims, DataType.Float, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>A DOUBLE tensor with the given dims and values (stored as raw_data).</summary>
    public static TensorProto FromDoubles(string name, long[] dims, ReadOnlySpan<double> values) =>
        Build(name, dims, DataType.Double, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>An INT64 tensor with the given dims and values (stored as raw_data).</summary>
    public static TensorProto FromInt64s(string name, long[] dims, ReadOnlySpan<long> values) =>
        Build(name, dims, DataType.Int64, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>An INT32 tensor with the given dims and values (stored as raw_data).</summary>
    public static TensorProto FromInt32s(string name, long[] dims, ReadOnlySpan<int> values) =>
        Build(name, dims, DataType.Int32, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>A BOOL tensor with the given dims and values (stored as raw_data, one byte each).</summary>
    public static TensorProto FromBools(string name, long[] dims, ReadOnlySpan<bool> values) =>
        Build(name, dims, DataType.Bool, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>A scalar (rank-0) FLOAT tensor.</summary>
    public static TensorProto ScalarFloat(string name, float value) => FromFloats(name, [], [value]);

    /// <summary>A scalar (rank-0) INT64 tensor.</summary>
    public static TensorProto ScalarInt64(string name, long value) => FromInt64s(name, [], [value]);

    /// <summary>Reads one serialized TensorProto (.pb, as in the ONNX test data); OnnxFormatException when corrupt.</summary>
    public static TensorProto ReadTensorFile(string pbPath)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(pbPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxFormatException(pbPath, $"cannot read the tensor file: {e.Message}", e);
        }
        TensorProto tensor;
        try { tensor = TensorProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(pbPath, $"not a serialized ONNX TensorProto ({e.Message})", e);
        }
        if (tensor.DataType == 0 || !Enum.IsDefined(typeof(DataType), tensor.DataType))
            throw new OnnxFormatException(pbPath, $"not a serialized ONNX TensorProto (data_type {tensor.DataType} is not a tensor element type)");
        if (tensor.DataType != (int)DataType.String && TensorElementTypes.ByteSize(tensor.DataType) > 0)
        {
            try { _ = CheckedCount(null, tensor); }
            catch (OnnxFormatException e) { throw new OnnxFormatException(pbPath, e.Problem, e); }
        }
        return tensor;
    }

    // ---------------------------------------------------------------- internals

    private static TensorProto Build(string name, long[] dims, DataType type, ReadOnlySpan<byte> bytes, int count)
    {
        long expected = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension {d}", nameof(dims));
            expected = checked(expected * d);
        }
        if (expected != count)
            throw new ArgumentException($"tensor '{name}': dims [{string.Join(",", dims)}] hold {expected} elements but {count} values were given", nameof(dims));
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static bool IsInteger(DataType type) => type is DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8
        or DataType.Uint8 or DataType.Uint16 or DataType.Uint32 or DataType.Uint64 or DataType.Bool;

    private delegate void ChunkDecoder<T>(ReadOnlySpan<byte> bytes, DataType type, Span<T> destination);

    private static void DecodeChunks<T>(RawTensorBytes raw, int dataType, Span<T> destination, ChunkDecoder<T> decode)
    {
        var size = TensorElementTypes.ByteSize(dataType);
        var perChunk = ChunkBytes / size;
        var buffer = ArrayPool<byte>.Shared.Rent(perChunk * size);
        try
        {
            for (var start = 0; start < destination.Length; start += perChunk)
            {
                var n = Math.Min(perChunk, destination.Length - start);
                var bytes = buffer.AsSpan(0, n * size);
                raw.ReadExactly(bytes);
                decode(bytes, (DataType)dataType, destination.Slice(start, n));
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static double DecodeFloating(ReadOnlySpan<byte> bytes, DataType type, int i) => type switch
    {
        DataType.Float => BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
        DataType.Double => BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]),
        _ => HalfBitsToDouble(type, BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..])),
    };

    private static long DecodeInteger(ReadOnlySpan<byte> bytes, DataType type, int i) => type switch
    {
        DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]),
        DataType.Uint64 => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(bytes[(8 * i)..])),
        DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]),
        DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]),
        DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]),
        DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]),
        DataType.Int8 => (sbyte)bytes[i],
        _ => bytes[i], // UINT8, BOOL
    };

    private static double HalfBitsToDouble(DataType type, int bits) => type == DataType.Bfloat16
        ? BitConverter.Int32BitsToSingle((bits & 0xFFFF) << 16)
        : (double)BitConverter.UInt16BitsToHalf((ushort)bits);

    private static RawTensorBytes? OpenRaw(OnnxModel? model, TensorProto tensor) => RawTensorBytes.TryOpen(model, tensor);

    private static void CheckDestination(OnnxModel? model, TensorProto tensor, int length)
    {
        var count = CheckedCount(model, tensor);
        if (count != length)
            throw new ArgumentException($"{ModelName(model)}: tensor '{tensor.Name}' has {count} elements but the destination holds {length}");
    }

    private static long CheckedByteCount(OnnxModel? model, TensorProto tensor)
    {
        var count = CheckedCount(model, tensor);
        return count * TensorElementTypes.ByteSize(tensor.DataType);
    }

    /// <summary>The element count after checking that the stored data holds exactly that many elements.</summary>
    private static int CheckedCount(OnnxModel? model, TensorProto tensor)
    {
        if (tensor.Segment is not null) throw Format(model, tensor, "uses the 'segment' field, which OnnxRay does not support");
        long count;
        try { count = TensorElementTypes.ElementCount(tensor); }
        catch (Exception e) when (e is ArgumentException or OverflowException) { throw Format(model, tensor, e.Message); }
        var size = TensorElementTypes.ByteSize(tensor.DataType);
        if (size == 0) throw Format(model, tensor, $"has element type {TensorElementTypes.Name(tensor.DataType)}, which OnnxRay cannot read");
        if (count > Array.MaxLength) throw Format(model, tensor, $"has {count} elements, more than one array can hold");
        if (ExternalDataResolver.IsExternal(tensor)) return (int)count; // length is checked against numel on resolve
        var type = (DataType)tensor.DataType;
        long stored;
        string field;
        if (!tensor.RawData.IsEmpty) { stored = tensor.RawData.Length / size; field = "raw_data"; if (tensor.RawData.Length % size != 0) stored = -1; }
        else
        {
            (stored, field) = type switch
            {
                DataType.Float => ((long)tensor.FloatData.Count, "float_data"),
                DataType.Complex64 => (tensor.FloatData.Count / 2L, "float_data"),
                DataType.Double => (tensor.DoubleData.Count, "double_data"),
                DataType.Complex128 => (tensor.DoubleData.Count / 2L, "double_data"),
                DataType.Int64 => (tensor.Int64Data.Count, "int64_data"),
                DataType.Uint32 or DataType.Uint64 => (tensor.Uint64Data.Count, "uint64_data"),
                _ => (tensor.Int32Data.Count, "int32_data"),
            };
        }
        if (stored != count)
            throw Format(model, tensor, $"dims [{string.Join(",", tensor.Dims)}] need {count} elements but {field} holds " +
                (field == "raw_data" ? $"{tensor.RawData.Length} bytes" : $"{stored} values"));
        return (int)count;
    }

    private static string ModelName(OnnxModel? model) => model?.SourcePath ?? "<tensor>";

    private static OnnxFormatException Format(OnnxModel? model, TensorProto tensor, string problem) =>
        new(ModelName(model), $"tensor '{tensor.Name}' {problem}");
}
