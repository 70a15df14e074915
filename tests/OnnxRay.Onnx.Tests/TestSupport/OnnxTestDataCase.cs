using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.TestSupport;

/// <summary>
/// One model of the Debian libonnx-testdata suites: load, normalise, run the normalised model in ONNX Runtime on
/// test_data_set_0 and compare with the shipped outputs.
/// </summary>
internal static class OnnxTestDataCase
{
    public static readonly string[] ConformanceSuites = ["pytorch-converted", "pytorch-operator"];

    /// <summary>Skip message of every test that needs the Debian package.</summary>
    public const string MissingPackage = "libonnx-testdata is not installed (apt-get install libonnx-testdata); conformance models are unavailable";

    /// <summary>One theory case per conformance model (a single placeholder case when the package is missing, which then skips).</summary>
    public static TheoryData<string> ConformanceModels()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names(ConformanceSuites)) data.Add(name);
        if (data.Count == 0) data.Add("(libonnx-testdata missing)");
        return data;
    }

    /// <summary>"suite/test_name" for every model of the given suites (empty when the package is missing).</summary>
    public static IEnumerable<string> Names(params string[] suites)
    {
        if (RepositoryPaths.OnnxTestData is not { } root) yield break;
        foreach (var suite in suites)
            foreach (var dir in Directory.GetDirectories(Path.Combine(root, suite)).Order(StringComparer.Ordinal))
                if (File.Exists(Path.Combine(dir, "model.onnx")))
                    yield return $"{suite}/{Path.GetFileName(dir)}";
    }

    public static string Folder(string name) => Path.Combine(RepositoryPaths.OnnxTestData!, name);

    public static IReadOnlyList<TensorProto> ReadSet(string name, string prefix)
    {
        var set = Path.Combine(Folder(name), "test_data_set_0");
        return Directory.GetFiles(set, prefix + "_*.pb")
            .OrderBy(p => int.Parse(Path.GetFileNameWithoutExtension(p)[(prefix.Length + 1)..]))
            .Select(TensorData.ReadTensorFile).ToList();
    }

    /// <summary>Null when the normalised model reproduces the shipped outputs, else the reason it does not.</summary>
    public static string? Check(string name, double rtol = 1e-3, double atol = 1e-4)
    {
        var model = OnnxModel.Load(Path.Combine(Folder(name), "model.onnx"));
        var normalized = ModelNormalizer.Normalize(model);
        if (normalized.Opset != 18) return $"normalised opset is {normalized.Opset}";
        using var options = OrtRunner.Options();
        using var session = new InferenceSession(normalized.ToBytes(), options);
        var inputs = ReadSet(name, "input");
        var expected = ReadSet(name, "output");
        var actual = OrtRunner.Run(session, inputs);
        if (actual.Count != expected.Count) return $"{actual.Count} outputs, expected {expected.Count}";
        for (var i = 0; i < expected.Count; i++)
            if (OrtRunner.Compare(expected[i], actual[i], rtol, atol) is { } mismatch) return mismatch;
        return null;
    }
}
