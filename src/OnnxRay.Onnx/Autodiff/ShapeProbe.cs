using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// OnnxRay has no shape inference of its own (§4): it specialises the graph to the fixed batch shape, lists every
/// intermediate value as a graph output, runs the model once in ONNX Runtime on real inputs and records the shape
/// and element type of every value. Initializer and input shapes are taken from the model and the inputs.
/// </summary>
public static class ShapeProbe
{
    /// <summary>
    /// Runs the probe; <paramref name="keepValues"/> names values whose contents the caller also wants back.
    /// <paramref name="externalDataFolder"/> is where the model's external data lives (the model's folder).
    /// </summary>
    public static ValueInfoTable Run(ModelProto model, IReadOnlyDictionary<string, OrtValue> inputs, string modelPath,
        IReadOnlySet<string>? keepValues = null, Dictionary<string, Data.NpyArray>? keptContents = null, string? externalDataFolder = null)
    {
        var table = new ValueInfoTable();
        foreach (var init in model.Graph.Initializer) table.Set(init.Name, init.Dims.ToArray(), init.DataType);
        var probe = model.Clone();
        var graph = probe.Graph;
        var outputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var initializerNames = new HashSet<string>(graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                if (output.Length > 0 && outputs.Add(output) && !initializerNames.Contains(output))
                    graph.Output.Add(new ValueInfoProto { Name = output });

        var wanted = graph.Output.Select(o => o.Name).ToArray();
        var feedNames = new List<string>();
        var feedValues = new List<OrtValue>();
        foreach (var input in graph.Input)
        {
            if (initializerNames.Contains(input.Name)) continue;
            if (!inputs.TryGetValue(input.Name, out var value))
                throw new DataMismatchException(modelPath, input.Name, "no data for this model input.");
            feedNames.Add(input.Name);
            feedValues.Add(value);
            var info = value.GetTensorTypeAndShape();
            table.Set(input.Name, info.Shape, (int)info.ElementDataType);
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        IO.ExternalDataFolder.Apply(options, probe, externalDataFolder, modelPath);
        InferenceSession session;
        try
        {
            session = new InferenceSession(probe.ToByteArray(), options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFormatException(modelPath, "ONNX Runtime cannot load the model for the shape probe: " + e.Message, e);
        }
        using (session)
        using (var runOptions = new RunOptions())
        {
            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = session.Run(runOptions, feedNames, feedValues, wanted);
            }
            catch (OnnxRuntimeException e)
            {
                throw new DataMismatchException(modelPath, string.Join(",", feedNames), "the shape probe run failed in ONNX Runtime: " + e.Message);
            }
            using (results)
            {
                var i = 0;
                foreach (var value in results)
                {
                    var name = wanted[i++];
                    if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR) continue;
                    var info = value.GetTensorTypeAndShape();
                    table.Set(name, info.Shape, (int)info.ElementDataType);
                    if (keepValues is not null && keepValues.Contains(name) && keptContents is not null)
                        keptContents[name] = Data.OrtTensors.ToNpy(value);
                }
            }
        }
        return table;
    }
}
