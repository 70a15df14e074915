using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Runs a model once on ONNX Runtime (CPU) and returns the requested outputs as test tensors.</summary>
public static class OrtRunner
{
    public static Dictionary<string, TestTensor> Run(ModelProto model, IReadOnlyDictionary<string, TestTensor> feeds, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var inputNames = session.InputMetadata.Keys.ToArray();
        var values = new List<OrtValue>();
        try
        {
            foreach (var name in inputNames)
            {
                var t = feeds[name];
                values.Add(t.IsInt64
                    ? OrtValue.CreateTensorValueFromMemory(t.Integers.ToArray(), t.Shape)
                    : OrtValue.CreateTensorValueFromMemory(t.ToFloats(), t.Shape));
            }
            using var run = new RunOptions();
            using var results = session.Run(run, inputNames, values, outputs.ToArray());
            var map = new Dictionary<string, TestTensor>(StringComparer.Ordinal);
            for (int i = 0; i < outputs.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                var shape = info.Shape;
                map[outputs[i]] = info.ElementDataType switch
                {
                    TensorElementType.Float => new TestTensor(shape, results[i].GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray()),
                    TensorElementType.Int64 => TestTensor.Int64(shape, results[i].GetTensorDataAsSpan<long>().ToArray()),
                    TensorElementType.Int32 => TestTensor.Int64(shape, results[i].GetTensorDataAsSpan<int>().ToArray().Select(v => (long)v).ToArray()),
                    TensorElementType.Bool => TestTensor.Int64(shape, results[i].GetTensorDataAsSpan<bool>().ToArray().Select(v => v ? 1L : 0L).ToArray()),
                    TensorElementType.Double => new TestTensor(shape, results[i].GetTensorDataAsSpan<double>().ToArray()),
                    var other => throw new NotSupportedException($"output {outputs[i]} has element type {other}"),
                };
            }
            return map;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
