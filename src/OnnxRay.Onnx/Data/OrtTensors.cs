using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxRay.Onnx.Data;

/// <summary>Wraps managed arrays as ONNX Runtime tensors (pinned, zero copy on CPU) and maps element types.</summary>
public static class OrtTensors
{
    /// <summary>An OrtValue over the array's memory (no copy); dispose it to unpin.</summary>
    public static OrtValue Wrap(NpyArray array) => Wrap(array.Data, array.Shape);

    /// <summary>An OrtValue over <paramref name="data"/> (no copy) with the given shape.</summary>
    public static OrtValue Wrap(Array data, long[] shape) => data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
        double[] d => OrtValue.CreateTensorValueFromMemory(d, shape),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, shape),
        int[] i => OrtValue.CreateTensorValueFromMemory(i, shape),
        bool[] b => OrtValue.CreateTensorValueFromMemory(b, shape),
        byte[] u => OrtValue.CreateTensorValueFromMemory(u, shape),
        _ => throw new ArgumentException($"Arrays of {data.GetType().Name} cannot be passed to ONNX Runtime."),
    };

    /// <summary>An OrtValue over a contiguous row range of a C-order array (no copy).</summary>
    public static OrtValue WrapRows(Array data, long[] shape, long firstRow, long rowCount)
    {
        var rowSize = (int)shape.Skip(1).Aggregate(1L, (a, d) => a * d);
        var start = (int)(firstRow * rowSize);
        var length = (int)(rowCount * rowSize);
        long[] chunkShape = [rowCount, .. shape.Skip(1)];
        var info = OrtMemoryInfo.DefaultInstance;
        return data switch
        {
            float[] f => OrtValue.CreateTensorValueFromMemory(info, new Memory<float>(f, start, length), chunkShape),
            double[] d => OrtValue.CreateTensorValueFromMemory(info, new Memory<double>(d, start, length), chunkShape),
            long[] l => OrtValue.CreateTensorValueFromMemory(info, new Memory<long>(l, start, length), chunkShape),
            int[] i => OrtValue.CreateTensorValueFromMemory(info, new Memory<int>(i, start, length), chunkShape),
            bool[] b => OrtValue.CreateTensorValueFromMemory(info, new Memory<bool>(b, start, length), chunkShape),
            byte[] u => OrtValue.CreateTensorValueFromMemory(info, new Memory<byte>(u, start, length), chunkShape),
            _ => throw new ArgumentException($"Arrays of {data.GetType().Name} cannot be passed to ONNX Runtime."),
        };
    }

    /// <summary>The npy dtype that carries an ONNX element type.</summary>
    public static string DtypeOf(int onnxElementType) => onnxElementType switch
    {
        1 => NpyDtypes.Float32,
        11 => NpyDtypes.Float64,
        7 => NpyDtypes.Int64,
        6 => NpyDtypes.Int32,
        9 => NpyDtypes.Bool,
        2 => NpyDtypes.UInt8,
        10 => NpyDtypes.Float16,
        _ => throw new ArgumentException($"ONNX element type {onnxElementType} has no npy counterpart here."),
    };

    /// <summary>The ONNX element type of an npy dtype.</summary>
    public static int OnnxTypeOf(string dtype) => dtype switch
    {
        NpyDtypes.Float32 => 1,
        NpyDtypes.Float64 => 11,
        NpyDtypes.Int64 => 7,
        NpyDtypes.Int32 => 6,
        NpyDtypes.Bool => 9,
        NpyDtypes.UInt8 => 2,
        NpyDtypes.Float16 => 10,
        _ => throw new ArgumentException($"npy dtype '{dtype}' has no ONNX element type."),
    };

    /// <summary>Copies a tensor OrtValue's elements into a managed array (for probe results and tests).</summary>
    public static NpyArray ToNpy(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => new NpyArray(NpyDtypes.Float32, shape, value.GetTensorDataAsSpan<float>().ToArray()),
            TensorElementType.Double => new NpyArray(NpyDtypes.Float64, shape, value.GetTensorDataAsSpan<double>().ToArray()),
            TensorElementType.Int64 => new NpyArray(NpyDtypes.Int64, shape, value.GetTensorDataAsSpan<long>().ToArray()),
            TensorElementType.Int32 => new NpyArray(NpyDtypes.Int32, shape, value.GetTensorDataAsSpan<int>().ToArray()),
            TensorElementType.Bool => new NpyArray(NpyDtypes.Bool, shape, value.GetTensorDataAsSpan<bool>().ToArray()),
            TensorElementType.UInt8 => new NpyArray(NpyDtypes.UInt8, shape, value.GetTensorDataAsSpan<byte>().ToArray()),
            var t => throw new ArgumentException($"Tensor element type {t} is not converted to npy."),
        };
    }
}
