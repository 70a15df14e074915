using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.TestSupport;
using OnnxRay.Testing;
using static OnnxRay.Onnx.Tests.TestSupport.TinyModels;

namespace OnnxRay.Onnx.Tests.Normalizing;

public sealed class ModelNormalizerTests
{
    private static OnnxModel Wrap(ModelProto proto) => new(proto, "test.onnx", null);

    private static float[] RunSingle(OnnxModel model, params TensorProto[] inputs)
    {
        using var options = OrtRunner.Options();
        using var session = new InferenceSession(model.ToBytes(), options);
        return TensorData.ReadFloats(null, OrtRunner.Run(session, inputs)[0]);
    }

    private static float[] Ramp(int n, float scale = 0.1f) => Enumerable.Range(0, n).Select(i => (i - n / 2) * scale).ToArray();

    [Fact]
    public void NonDefaultDomains_AreRejected_ListingEveryOffender()
    {
        var fused = Node("FusedMatMul", ["X", "X"], ["A"]);
        fused.Domain = "com.microsoft";
        var custom = Node("MyOp", ["A"], ["B"]);
        custom.Domain = "org.example";
        var gradient = Node("Gradient", ["B"], ["Y"]);
        gradient.Domain = "ai.onnx.preview.training";
        var proto = Model(17, [fused, custom, gradient], [FloatInfo("X", 2, 2)], [FloatInfo("Y", 2, 2)]);

        var error = Assert.Throws<UnsupportedOperatorException>(() => ModelNormalizer.Normalize(Wrap(proto)));

        Assert.Equal(3, error.Nodes.Count);
        Assert.Contains("com.microsoft.FusedMatMul", error.Message);
        Assert.Contains("org.example.MyOp", error.Message);
        Assert.Contains("ai.onnx.preview.training.Gradient", error.Message);
        Assert.Contains("plain", error.Message);
        Assert.Contains("test.onnx", error.Message);
    }

    [Theory]
    [InlineData("If", "control flow")]
    [InlineData("Loop", "control flow")]
    [InlineData("Scan", "control flow")]
    [InlineData("LSTM", "recurrent")]
    [InlineData("GRU", "recurrent")]
    [InlineData("RNN", "recurrent")]
    public void ControlFlowAndRecurrentOps_AreRejectedWithAReason(string op, string reason)
    {
        var proto = Model(17, [Node(op, ["X"], ["Y"])], [FloatInfo("X", 2)], [FloatInfo("Y", 2)]);
        var error = Assert.Throws<UnsupportedOperatorException>(() => ModelNormalizer.Normalize(Wrap(proto)));
        Assert.Equal(op, Assert.Single(error.Nodes).OpType);
        Assert.Contains(reason, error.Nodes[0].Reason);
    }

    [Fact]
    public void OpsetNewerThan21_IsRejected()
    {
        var proto = Model(22, [Node("Relu", ["X"], ["Y"])], [FloatInfo("X", 2)], [FloatInfo("Y", 2)], irVersion: 10);
        var error = Assert.Throws<UnsupportedOperatorException>(() => ModelNormalizer.Normalize(Wrap(proto)));
        Assert.Contains("opset_version=18", error.Message);
    }

    [Fact]
    public void Input_IsLeftUntouched_AndOutputIsOpset18Ir8()
    {
        var proto = Model(6, [Node("Softmax", ["X"], ["Y"], Attr.Int("axis", 1))], [FloatInfo("X", 2, 3, 4)], [FloatInfo("Y", 2, 3, 4)], irVersion: 3);
        var model = Wrap(proto);
        var before = proto.ToByteArray();

        var normalized = ModelNormalizer.Normalize(model);

        Assert.Equal(before, model.Proto.ToByteArray());
        Assert.Equal(18, normalized.Opset);
        Assert.Equal(8, normalized.Proto.IrVersion);
        Assert.Equal(model.SourcePath, normalized.SourcePath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LegacySoftmax_NormalisesOverAllTrailingAxes(bool rankKnown)
    {
        // Opset 11 Softmax(axis=1) on [2,3,4] normalises each row of the [2, 12] view.
        var input = rankKnown ? FloatInfo("X", 2, 3, 4) : new ValueInfoProto { Name = "X", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } };
        var proto = Model(11, [Node("Softmax", ["X"], ["Y"], Attr.Int("axis", 1))], [input], [FloatInfo("Y", 2, 3, 4)], irVersion: 6);
        var x = Ramp(24, 0.3f);

        var y = RunSingle(ModelNormalizer.Normalize(Wrap(proto)), TensorData.FromFloats("X", [2, 3, 4], x));

        for (var row = 0; row < 2; row++)
        {
            var slice = x.Skip(12 * row).Take(12).ToArray();
            var max = slice.Max();
            var sum = slice.Sum(v => Math.Exp(v - max));
            for (var j = 0; j < 12; j++) Assert.Equal(Math.Exp(slice[j] - max) / sum, y[12 * row + j], 5);
        }
    }

    [Fact]
    public void LegacySoftmax_OnLastAxis_StaysOneNode()
    {
        var proto = Model(11, [Node("LogSoftmax", ["X"], ["Y"], Attr.Int("axis", 2))], [FloatInfo("X", 2, 3, 4)], [FloatInfo("Y", 2, 3, 4)]);
        var normalized = ModelNormalizer.Normalize(Wrap(proto));
        var node = Assert.Single(normalized.Proto.Graph.Node);
        Assert.Equal(-1, node.Attribute.Single(a => a.Name == "axis").I);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LegacyAxisBroadcast_AlignsTheSecondOperandAtTheAxis(bool secondIsInitializer)
    {
        // Opset 6 Add(A[2,3,4,5], B[3,4], broadcast=1, axis=1): B[j,k] is added to A[i,j,k,l].
        var b = Ramp(12, 1f);
        var initializers = secondIsInitializer ? new[] { TensorData.FromFloats("B", [3, 4], b) } : [];
        ValueInfoProto[] inputs = secondIsInitializer
            ? [FloatInfo("A", 2, 3, 4, 5), FloatInfo("B", 3, 4)]
            : [FloatInfo("A", 2, 3, 4, 5), new ValueInfoProto { Name = "B", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } }]; // rank of B unknown: in-graph reshape
        var proto = Model(6, [Node("Add", ["A", "B"], ["Y"], Attr.Int("broadcast", 1), Attr.Int("axis", 1))], inputs,
            [FloatInfo("Y", 2, 3, 4, 5)], initializers, irVersion: 3);
        var a = Ramp(120, 0.01f);

        var normalized = ModelNormalizer.Normalize(Wrap(proto));
        var feeds = secondIsInitializer ? new[] { TensorData.FromFloats("A", [2, 3, 4, 5], a) }
            : [TensorData.FromFloats("A", [2, 3, 4, 5], a), TensorData.FromFloats("B", [3, 4], b)];
        var y = RunSingle(normalized, feeds);

        for (var i = 0; i < 120; i++)
        {
            var jk = i / 5 % 12;
            Assert.Equal(a[i] + b[jk], y[i], 5);
        }
        Assert.DoesNotContain(normalized.Proto.Graph.Node, n => n.Attribute.Any(at => at.Name is "broadcast" or "axis" && n.OpType == "Add"));
    }

    [Fact]
    public void LocalFunctions_AreInlined_WithAttributeReferencesAndUniqueNames()
    {
        // function Scaled(x) attribute alpha: t = LeakyRelu(x, alpha=@alpha); y = Add(t, x). Called twice, nested once.
        var body = new FunctionProto { Name = "Scaled", Domain = "local" };
        body.Input.Add("x");
        body.Output.Add("y");
        body.Attribute.Add("alpha");
        var leaky = Node("LeakyRelu", ["x"], ["t"]);
        leaky.Attribute.Add(new AttributeProto { Name = "alpha", RefAttrName = "alpha", Type = AttributeProto.Types.AttributeType.Float });
        body.Node.Add(leaky);
        body.Node.Add(Node("Add", ["t", "x"], ["y"]));
        body.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });

        var outer = new FunctionProto { Name = "Twice", Domain = "local" };
        outer.Input.Add("u");
        outer.Output.Add("v");
        var inner = Node("Scaled", ["u"], ["w"], Attr.Float("alpha", 0.5f));
        inner.Domain = "local";
        outer.Node.Add(inner);
        outer.Node.Add(Node("Neg", ["w"], ["v"]));
        outer.OpsetImport.Add(new OperatorSetIdProto { Domain = "local", Version = 1 });

        var first = Node("Scaled", ["X"], ["H"], Attr.Float("alpha", 0.1f));
        first.Domain = "local";
        var second = Node("Twice", ["H"], ["Y"]);
        second.Domain = "local";
        var proto = Model(18, [first, second], [FloatInfo("X", 6)], [FloatInfo("Y", 6)]);
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "local", Version = 1 });
        proto.Functions.Add(body);
        proto.Functions.Add(outer);

        var normalized = ModelNormalizer.Normalize(Wrap(proto));

        Assert.Empty(normalized.Proto.Functions);
        Assert.All(normalized.Proto.Graph.Node, n => Assert.Equal("", n.Domain));
        var outputs = normalized.Proto.Graph.Node.SelectMany(n => n.Output).ToList();
        Assert.Equal(outputs.Count, outputs.Distinct().Count());
        var x = Ramp(6, 1f);
        static float Leaky(float v, float alpha) => v >= 0 ? v : alpha * v;
        var expected = x.Select(v => { var h = Leaky(v, 0.1f) + v; return -(Leaky(h, 0.5f) + h); }).ToArray();
        var y = RunSingle(normalized, TensorData.FromFloats("X", [6], x));
        for (var i = 0; i < 6; i++) Assert.Equal(expected[i], y[i], 5);
    }

    [Fact]
    public void ConstantNodes_BecomeInitializers_AndIdentityIsKept()
    {
        var constant = Node("Constant", [], ["C"], Attr.Tensor("value", TensorData.FromFloats("", [3], [1f, 2f, 3f])));
        var scalar = Node("Constant", [], ["S"], Attr.Float("value_float", 10f));
        var proto = Model(13,
            [constant, scalar, Node("Identity", ["W"], ["W2"]), Node("Add", ["X", "C"], ["T"]), Node("Mul", ["T", "S"], ["U"]), Node("Add", ["U", "W2"], ["Y"])],
            [FloatInfo("X", 3)], [FloatInfo("Y", 3)], [TensorData.FromFloats("W", [3], [0.5f, 0.5f, 0.5f])]);

        var normalized = ModelNormalizer.Normalize(Wrap(proto));

        Assert.DoesNotContain(normalized.Proto.Graph.Node, n => n.OpType == "Constant");
        Assert.Contains(normalized.Proto.Graph.Node, n => n.OpType == "Identity");
        var c = normalized.Proto.Graph.Initializer.Single(t => t.Name == "C");
        Assert.Contains(c.MetadataProps, m => m.Key == ModelNormalizer.FromConstantKey && m.Value == "true");
        Assert.Equal([1f, 2f, 3f], TensorData.ReadFloats(null, c));
        Assert.Equal([15.5f, 30.5f, 50.5f], RunSingle(normalized, TensorData.FromFloats("X", [3], [0.5f, 1f, 2f])));
    }

    [Fact]
    public void InitializersListedAsInputs_AreDroppedFromInputs()
    {
        var proto = Model(6, [Node("Add", ["X", "W"], ["Y"])], [FloatInfo("X", 3), FloatInfo("W", 3)], [FloatInfo("Y", 3)],
            [TensorData.FromFloats("W", [3], [1f, 1f, 1f])], irVersion: 3);
        var normalized = ModelNormalizer.Normalize(Wrap(proto));
        Assert.Equal("X", Assert.Single(normalized.Proto.Graph.Input).Name);
    }

    [Fact]
    public void AttributeForms_MoveToInputs_AndComputeTheSameValues()
    {
        // Opset 9: Slice/Pad/Clip/ReduceSum/Unsqueeze/Squeeze/Split attributes, all of which become inputs by 18.
        var proto = Model(9,
        [
            Node("Slice", ["X"], ["S"], Attr.Ints("starts", [1]), Attr.Ints("ends", [5]), Attr.Ints("axes", [1])),       // [2,4]
            Node("Pad", ["S"], ["P"], Attr.Ints("pads", [0, 1, 0, 1]), Attr.Float("value", 7f)),                          // [2,6]
            Node("Clip", ["P"], ["C"], Attr.Float("min", -0.2f), Attr.Float("max", 5f)),
            Node("ReduceSum", ["C"], ["R"], Attr.Ints("axes", [1]), Attr.Int("keepdims", 0)),                             // [2]
            Node("Unsqueeze", ["R"], ["U"], Attr.Ints("axes", [0])),                                                       // [1,2]
            Node("Split", ["U"], ["A", "B"], Attr.Int("axis", 1), Attr.Ints("split", [1, 1])),                             // [1,1] x2
            Node("Sub", ["A", "B"], ["D"]),
            Node("Squeeze", ["D"], ["Y"], Attr.Ints("axes", [0, 1])),                                                      // scalar
        ], [FloatInfo("X", 2, 6)], [FloatInfo("Y")], irVersion: 4);
        var x = Ramp(12, 0.1f);

        var normalized = ModelNormalizer.Normalize(Wrap(proto));

        Assert.All(normalized.Proto.Graph.Node, n => Assert.DoesNotContain(n.Attribute, a => a.Name is "axes" or "starts" or "ends" or "pads" or "min" or "max" or "split"));
        var rowSums = new double[2];
        for (var r = 0; r < 2; r++)
        {
            var padded = new[] { 7f }.Concat(x.Skip(6 * r + 1).Take(4)).Append(7f);
            rowSums[r] = padded.Sum(v => Math.Clamp(v, -0.2f, 5f));
        }
        Assert.Equal(rowSums[0] - rowSums[1], RunSingle(normalized, TensorData.FromFloats("X", [2, 6], x))[0], 4);
    }

    [Fact]
    public void NaiveOpsetBump_GetsLegacyPReluWrong_WhichTheNormaliserFixes()
    {
        // Guards the conformance harness: without the legacy per-channel rewrite the outputs differ.
        var proto = Model(6, [Node("PRelu", ["X", "slope"], ["Y"])], [FloatInfo("X", 2, 3, 3)], [FloatInfo("Y", 2, 3, 3)],
            [TensorData.FromFloats("slope", [3], [0.1f, 0.2f, 0.3f])], irVersion: 3);
        var x = Ramp(18, 1f);
        var expected = x.Select((v, i) => v >= 0 ? v : v * (0.1f * (i / 3 % 3 + 1))).ToArray();

        var naive = proto.Clone();
        naive.OpsetImport[0].Version = 18;
        naive.IrVersion = 8;
        var naiveY = RunSingle(Wrap(naive), TensorData.FromFloats("X", [2, 3, 3], x));
        Assert.NotNull(OrtRunner.Compare(TensorData.FromFloats("e", [18], expected), TensorData.FromFloats("a", [18], naiveY)));

        var y = RunSingle(ModelNormalizer.Normalize(Wrap(proto)), TensorData.FromFloats("X", [2, 3, 3], x));
        Assert.Null(OrtRunner.Compare(TensorData.FromFloats("e", [18], expected), TensorData.FromFloats("a", [18], y)));
    }

    [Fact]
    public void ExternalData_StillResolvesAfterNormalisation()
    {
        using var folder = new TempFolder();
        var path = folder.File("m.onnx");
        Wrap(AffineModel()).Save(path, ModelSaveOptions.AllExternal);
        var normalized = ModelNormalizer.Normalize(OnnxModel.Load(path));
        Assert.Equal(folder.Path, normalized.BaseDirectory);
        var a = normalized.Proto.Graph.Initializer.Single(t => t.Name == "A");
        Assert.Equal(TensorData.ReadFloats(null, AffineModel().Graph.Initializer[0]), TensorData.ReadFloats(normalized, a));
    }
}
