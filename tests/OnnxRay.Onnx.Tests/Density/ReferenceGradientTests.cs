using System.Text.Json;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>
/// End to end against float64 PyTorch references from models/reference (see models/export/common.py): the density graph
/// built from the exported ONNX file must reproduce log_density and every parameter gradient.
/// </summary>
public class ReferenceGradientTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        var dir = Path.Combine(RepositoryPaths.Models, "reference");
        if (!Directory.Exists(dir)) return data;
        foreach (var json in Directory.GetFiles(dir, "*.json").Order())
            data.Add(Path.GetFileNameWithoutExtension(json));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch_reference(string name)
    {
        var dir = Path.Combine(RepositoryPaths.Models, "reference");
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        var root = meta.RootElement;
        var reference = NpzFile.Read(Path.Combine(dir, name + ".npz"));
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, root.GetProperty("model").GetString()!)));
        var options = DensityOptions.Parse(root.GetProperty("likelihood").GetString()!, root.GetProperty("prior").GetString()!);
        var scale = root.GetProperty("scale").GetDouble();

        var batch = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var input in root.GetProperty("inputs").EnumerateObject()) batch[input.Name] = reference[input.Name];
        batch["target"] = reference["target"];
        var data = DensityData.FromArrays(batch, name).Prepare(model, options.Likelihood);

        var layout = ParameterLayout.FromModel(model);
        var expectedNames = root.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(expectedNames.Order(), layout.Tensors.Select(t => t.Name).Order());

        var graph = DensityGraphBuilder.Build(model, layout, options, data.Arrays, scale);
        using var session = new GraphSession(graph, new OrtLogDensityOptions());
        var chunk = graph.DataInputs.Select(d => OrtTensors.Wrap(data.Arrays[d.Name].Data, d.Shape)).ToArray();
        try
        {
            layout.ReadInitialTheta(model).CopyTo(session.Theta, 0);
            session.SetData(chunk);
            var logDensity = session.Run((float)scale, 1f);
            var expected = reference["log_density"].ScalarValue;
            Assert.True(Math.Abs(logDensity - expected) <= 1e-4 * Math.Abs(expected) + 1e-3,
                $"{name}: log_density {logDensity} vs reference {expected}");
            foreach (var t in layout.Tensors)
            {
                var want = reference[t.Name].ToDoubles();
                var got = session.Gradient.AsSpan(t.Offset, t.Length);
                double diff = 0, norm = 0;
                for (var i = 0; i < want.Length; i++)
                {
                    diff += (got[i] - want[i]) * (got[i] - want[i]);
                    norm += want[i] * want[i];
                }
                var relative = Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-12);
                Assert.True(relative <= 1e-4, $"{name}: gradient of '{t.Name}' has relative error {relative:E2}");
            }
        }
        finally
        {
            foreach (var v in chunk) v.Dispose();
        }
    }
}
