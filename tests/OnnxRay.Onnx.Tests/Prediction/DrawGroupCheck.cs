using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>
/// Runs a group session of distinct draws (whatever form <see cref="PredictionGraph.ToBytesWithDraws"/> picks) and a
/// session of each draw alone, and checks that draw j of the group gives draw j's output and no other draw's.
/// </summary>
internal static class DrawGroupCheck
{
    /// <summary>
    /// Checks <paramref name="model"/>'s prediction graph for <paramref name="draws"/> distinct draws (each output within
    /// <paramref name="tolerance"/> relative of the draw's own session, and farther from every other draw's), and
    /// returns the group graph.
    /// </summary>
    public static GraphProto Check(OnnxModel model, bool batched, int draws, double tolerance, int rows = 2)
    {
        var layout = ParameterLayout.FromModel(model);
        var graph = PredictionGraph.Build(model, layout, DensityOptions.Parse("gaussian:1").Likelihood, null);
        var theta = layout.ReadInitialTheta(model);
        var random = new Random(3);
        var thetas = Enumerable.Range(0, draws).Select(_ => theta.Select(v => v + 0.2f * (float)(random.NextDouble() - 0.5)).ToArray()).ToList();
        var input = graph.DataInputs.Single();
        long[] shape = [rows, .. input.Dimensions.Skip(1)];
        var x = Enumerable.Range(0, (int)shape.Aggregate(1L, (a, d) => a * d)).Select(i => MathF.Sin(0.7f * i)).ToArray();

        var bytes = graph.ToBytesWithDraws(thetas, batched);
        var outputs = Run(bytes, input.Name, x, shape, graph.GroupOutputNames(draws, batched));
        var group = graph.StacksDrawOutputs(draws, batched)
            ? Enumerable.Range(0, draws).Select(j => outputs[0].AsSpan(j * outputs[0].Length / draws, outputs[0].Length / draws).ToArray()).ToArray()
            : outputs;
        var alone = thetas.Select(t => Run(graph.ToBytesWithDraws([t]), input.Name, x, shape, graph.GroupOutputNames(1, batched))[0]).ToArray();
        bool Close(float[] expected, float[] actual, out string detail)
        {
            detail = "";
            if (expected.Length != actual.Length)
            {
                detail = $"{actual.Length} outputs, expected {expected.Length}";
                return false;
            }
            for (var i = 0; i < expected.Length; i++)
                if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i]))))
                {
                    detail = $"output {i}: group {actual[i]}, alone {expected[i]}";
                    return false;
                }
            return true;
        }
        for (var j = 0; j < draws; j++)
        for (var k = 0; k < draws; k++)
        {
            var close = Close(alone[k], group[j], out var detail);
            if (j == k) Assert.True(close, $"draw {j}: {detail}");
            else Assert.False(close, $"draw {j} of the group gives draw {k}'s output");
        }
        return ModelProto.Parser.ParseFrom(bytes).Graph;
    }

    private static float[][] Run(byte[] model, string inputName, float[] x, long[] shape, string[] outputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [input], outputs);
        return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }
}
