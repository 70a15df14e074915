using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Tests.TestSupport;

/// <summary>Runs a model in ONNX Runtime (CPU) on ONNX TensorProto inputs and returns the outputs as TensorProtos.</summary>
internal static class OrtRunner
{
    public static SessionOptions Options()
    {
        var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        return options;
    }

    public static IReadOnlyList<TensorProto> Run(InferenceSession session, IReadOnlyList<TensorProto> inputs)
    {
        var names = session.InputMetadata.Keys.ToList();
        var values = new List<OrtValue>();
        try
        {
            var feedNames = new List<string>();
            for (var i = 0; i < inputs.Count; i++)
            {
                var name = string.IsNullOrEmpty(inputs[i].Name) || !names.Contains(inputs[i].Name) ? names[i] : inputs[i].Name;
                feedNames.Add(name);
                values.Add(ToOrtValue(inputs[i]));
            }
            var outputNames = session.OutputMetadata.Keys.ToList();
            using var results = session.Run(new RunOptions(), feedNames, values, outputNames);
            return results.Select((v, i) => FromOrtValue(outputNames[i], v)).ToList();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public static OrtValue ToOrtValue(TensorProto tensor)
    {
        var shape = tensor.Dims.ToArray();
        return (DataType)tensor.DataType switch
        {
            DataType.Float or DataType.Float16 or DataType.Bfloat16 => OrtValue.CreateTensorValueFromMemory(TensorData.ReadFloats(null, tensor), shape),
            DataType.Double => OrtValue.CreateTensorValueFromMemory(TensorData.ReadDoubles(null, tensor), shape),
            DataType.Int64 => OrtValue.CreateTensorValueFromMemory(TensorData.ReadInt64s(null, tensor), shape),
            DataType.Int32 => OrtValue.CreateTensorValueFromMemory(TensorData.ReadInt32s(null, tensor), shape),
            DataType.Bool => OrtValue.CreateTensorValueFromMemory(TensorData.ReadBools(null, tensor), shape),
            _ => throw new NotSupportedException($"input '{tensor.Name}' has element type {TensorElementTypes.Name(tensor.DataType)}"),
        };
    }

    public static TensorProto FromOrtValue(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var dims = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => TensorData.FromFloats(name, dims, value.GetTensorDataAsSpan<float>()),
            TensorElementType.Double => TensorData.FromDoubles(name, dims, value.GetTensorDataAsSpan<double>()),
            TensorElementType.Int64 => TensorData.FromInt64s(name, dims, value.GetTensorDataAsSpan<long>()),
            TensorElementType.Int32 => TensorData.FromInt32s(name, dims, value.GetTensorDataAsSpan<int>()),
            TensorElementType.Bool => TensorData.FromBools(name, dims, value.GetTensorDataAsSpan<bool>()),
            _ => throw new NotSupportedException($"output '{name}' has element type {info.ElementDataType}"),
        };
    }

    /// <summary>Null when every element of <paramref name="actual"/> matches <paramref name="expected"/> within |a−e| ≤ atol + rtol·|e|, else a description of the first mismatch.</summary>
    public static string? Compare(TensorProto expected, TensorProto actual, double rtol = 1e-3, double atol = 1e-4)
    {
        if (!expected.Dims.SequenceEqual(actual.Dims))
            return $"output '{actual.Name}': shape [{string.Join(",", actual.Dims)}], expected [{string.Join(",", expected.Dims)}]";
        var e = TensorElementTypes.IsReadableAsFloat(expected.DataType) ? TensorData.ReadDoubles(null, expected) : TensorData.ReadInt64s(null, expected).Select(v => (double)v).ToArray();
        var a = TensorElementTypes.IsReadableAsFloat(actual.DataType) ? TensorData.ReadDoubles(null, actual) : TensorData.ReadInt64s(null, actual).Select(v => (double)v).ToArray();
        for (var i = 0; i < e.Length; i++)
        {
            var ok = Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]) || (double.IsNaN(a[i]) && double.IsNaN(e[i])) || a[i] == e[i];
            if (!ok) return $"output '{actual.Name}' element {i}: {a[i]}, expected {e[i]}";
        }
        return null;
    }
}
