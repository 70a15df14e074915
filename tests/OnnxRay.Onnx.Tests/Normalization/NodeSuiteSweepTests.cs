using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Tests.TestSupport;
using OnnxRay.Testing;
using DataType = OnnxRay.Onnx.Protobuf.TensorProto.Types.DataType;

namespace OnnxRay.Onnx.Tests.Normalizing;

/// <summary>
/// Normalising the ONNX node and simple suites (one op per model, opsets 1–17) must not change any output that
/// ONNX Runtime computes for the original. Models ORT cannot load, models OnnxRay rejects on purpose (typed
/// UnsupportedOperatorException), random ops and data the test harness cannot feed are left out.
/// </summary>
public sealed class NodeSuiteSweepTests
{
    // Random or implementation-defined outputs, not comparable with the shipped reference.
    private static readonly string[] NotComparable =
        ["test_bernoulli", "test_training_dropout", "test_dft", "test_maxunpool_export_with_output_shape"];

    private static readonly HashSet<int> FeedableTypes =
        [(int)DataType.Float, (int)DataType.Double, (int)DataType.Int64, (int)DataType.Int32, (int)DataType.Bool];

    [SkippableFact]
    public void NormalisedNodeModels_KeepTheirOutputs()
    {
        Skip.If(RepositoryPaths.OnnxTestData is null, "libonnx-testdata is not installed (apt-get install libonnx-testdata)");
        var failures = new List<string>();
        var compared = 0;
        foreach (var name in OnnxTestDataCase.Names("node", "simple"))
        {
            if (NotComparable.Any(prefix => name.Split('/')[1].StartsWith(prefix, StringComparison.Ordinal)) || !Feedable(name)) continue;
            var model = OnnxModel.Load(Path.Combine(OnnxTestDataCase.Folder(name), "model.onnx"));
            using (var options = OrtRunner.Options())
            {
                try { new InferenceSession(model.ToBytes(), options).Dispose(); }
                catch (OnnxRuntimeException) { continue; } // ORT itself cannot run the original
            }
            try
            {
                if (OnnxTestDataCase.Check(name) is { } mismatch) failures.Add($"{name}: {mismatch}");
                compared++;
            }
            catch (UnsupportedOperatorException) { /* rejected on purpose with a typed error (control flow, RNN, Resize, ...) */ }
            catch (Exception e) { failures.Add($"{name}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(compared > 700, $"only {compared} node models were compared");
    }

    private static bool Feedable(string name)
    {
        try
        {
            return OnnxTestDataCase.ReadSet(name, "input").Concat(OnnxTestDataCase.ReadSet(name, "output"))
                .All(t => FeedableTypes.Contains(t.DataType));
        }
        catch (OnnxFormatException) { return false; } // sequence/optional values, not TensorProto
    }
}
