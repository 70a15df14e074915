using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// ONNX Runtime's CPU convolution kernels in the blocked NCHWc layout (operator domain com.microsoft.nchwc, MLAS). ORT
/// only rewrites a Conv into them when its weights are constant, which the weight-gradient convolutions of a density
/// graph never are, so rules emit them themselves where they pay. The channel block is MLAS's (16 with AVX-512, 8 with
/// AVX2): asked of ORT once per process by letting its own NCHWc transformer rewrite a one-Conv model and reading the
/// padded filter it produced.
/// </summary>
public static class NchwcKernels
{
    public const string Domain = "com.microsoft.nchwc";

    private static readonly Lazy<int?> Block = new(Probe);

    /// <summary>MLAS's NCHWc channel block on this machine, or null when ORT has no NCHWc kernels here (or the probe failed).</summary>
    public static int? BlockSize => Block.Value;

    private static int? Probe()
    {
        // Conv of 1 input channel to 6 output channels, weights constant: the transformer pads the output channels to
        // one block (filter [B, 1, 3, 3]) wherever it runs.
        var graph = new GraphProto { Name = "nchwc_probe" };
        graph.Input.Add(Parameters.ThetaRewriter.TensorInput("x", OnnxType.Float, [1, 1, 8, 8]));
        graph.Output.Add(Parameters.ThetaRewriter.TensorInput("y", OnnxType.Float, [1, 6, 8, 8]));
        var w = new TensorProto { Name = "w", DataType = OnnxType.Float };
        w.Dims.AddRange([6, 1, 3, 3]);
        w.FloatData.AddRange(Enumerable.Repeat(0.5f, 54));
        graph.Initializer.Add(w);
        var conv = new NodeProto { OpType = "Conv", Name = "conv" };
        conv.Input.AddRange(["x", "w"]);
        conv.Output.Add("y");
        conv.Attribute.Add(Attr.Ints("pads", [1, 1, 1, 1]));
        graph.Node.Add(conv);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });

        var path = Path.Combine(Path.GetTempPath(), $"onnxray-nchwc-probe-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions
                   {
                       GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                       IntraOpNumThreads = 1,
                       OptimizedModelFilePath = path,
                       LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                   })
            using (new InferenceSession(model.ToByteArray(), options))
            {
            }
            var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            var blocked = optimized.Graph.Node.FirstOrDefault(n => n.Domain == Domain && n.OpType == "Conv");
            var filter = blocked is null ? null : optimized.Graph.Initializer.FirstOrDefault(i => i.Name == blocked.Input[1]);
            return filter is { Dims.Count: 4 } && filter.Dims[0] is >= 4 and <= 64 ? (int)filter.Dims[0] : null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or IOException or InvalidProtocolBufferException or UnauthorizedAccessException)
        {
            return null;
        }
        finally
        {
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
