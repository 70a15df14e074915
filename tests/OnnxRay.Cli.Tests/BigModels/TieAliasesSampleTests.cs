using System.Text.Json;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Cli.Tests.BigModels;

/// <summary>
/// <c>sample --tie-aliases</c>: an exporter's <c>Identity</c> alias of a shared weight stays one parameter, the choice is
/// recorded in the manifest, and <c>predict</c> rebuilds the same (tied) layout from the run folder alone.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class TieAliasesSampleTests
{
    private const int Rows = 24;

    [Fact]
    public void Tied_aliases_are_recorded_and_predict_rebuilds_the_tied_layout()
    {
        var root = CliTool.NewTempFolder("tie");
        try
        {
            var (model, data) = WriteTiedHeadModel(root);
            string[] common = ["sample", model, "--data", data, "--likelihood", "gaussian:1", "--prior", "gaussian:1", "--sampler", "hmc",
                "--chains", "1", "--warmup", "4", "--draws", "4", "--chunk-size", "4", "--seed", "2"];
            var tied = Path.Combine(root, "tied");
            var untied = Path.Combine(root, "untied");
            CliTool.RunOk([.. common, "--tie-aliases", "--out", tied]);
            CliTool.RunOk([.. common, "--out", untied]);

            var (tiedD, tiedFlag) = Manifest(tied);
            var (untiedD, untiedFlag) = Manifest(untied);
            Assert.Equal(20, tiedD);    // W only: the alias shares its slice
            Assert.Equal(40, untiedD);  // W and its untied copy
            Assert.Equal("true", tiedFlag);
            Assert.Null(untiedFlag);

            foreach (var run in new[] { tied, untied })
            {
                var outCsv = Path.Combine(root, Path.GetFileName(run) + ".csv");
                CliTool.RunOk("predict", run, "--data", data, "--out", outCsv);
                Assert.Equal(1 + Rows * 4, File.ReadAllLines(outCsv).Length); // one row per output element
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static (int Dimension, string? TieAliases) Manifest(string run)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "manifest.json")));
        var extra = doc.RootElement.GetProperty("extra");
        return (doc.RootElement.GetProperty("dimension").GetInt32(),
            extra.TryGetProperty("posterior.tie-aliases", out var flag) ? flag.GetString() : null);
    }

    /// <summary>y = tanh(x·W)·Identity(W)ᵀ: the tied-head pattern with the second use behind an exporter-style alias.</summary>
    private static (string Model, string Data) WriteTiedHeadModel(string folder)
    {
        var random = new Random(3);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var graph = new GraphProto { Name = "tied_head" };
        graph.Initializer.Add(TensorData.FromFloats("W", [4, 5], Enumerable.Range(0, 20).Select(_ => 0.5f * Normal()).ToArray()));
        graph.Input.Add(ThetaRewriter.TensorInput("x", OnnxType.Float, [Rows, 4]));
        graph.Output.Add(ThetaRewriter.TensorInput("y", OnnxType.Float, [Rows, 4]));
        NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = output + "_node", Input = { inputs }, Output = { output } };
            node.Attribute.Add(attributes);
            return node;
        }
        graph.Node.Add(Node("MatMul", ["x", "W"], "xw"));
        graph.Node.Add(Node("Tanh", ["xw"], "h"));
        graph.Node.Add(Node("Identity", ["W"], "W_alias"));
        graph.Node.Add(Node("Transpose", ["W_alias"], "Wt", Attr.Ints("perm", [1, 0])));
        graph.Node.Add(Node("MatMul", ["h", "Wt"], "y"));
        var proto = new ModelProto { IrVersion = 8, Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        var model = Path.Combine(folder, "tied_head.onnx");
        new OnnxModel(proto, model, folder).Save(model);
        var data = Path.Combine(folder, "tied_head.npz");
        NpzFile.Write(data, new Dictionary<string, NpyArray>
        {
            ["x"] = NpyArray.FromFloats(Enumerable.Range(0, Rows * 4).Select(_ => Normal()).ToArray(), Rows, 4),
            ["target"] = NpyArray.FromFloats(Enumerable.Range(0, Rows * 4).Select(_ => Normal()).ToArray(), Rows, 4),
        });
        return (model, data);
    }
}
