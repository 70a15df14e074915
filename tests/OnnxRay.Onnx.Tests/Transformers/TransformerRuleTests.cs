using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Autodiff.Rules;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.AutodiffEngine;

namespace OnnxRay.Onnx.Tests.Transformers;

/// <summary>Gradient rules of the ops transformer exporters emit, against central finite differences of the value graph.</summary>
public class TransformerRuleTests
{
    [Theory]
    [InlineData(1L, 0L, false)]
    [InlineData(0L, 0L, false)]
    [InlineData(1L, 1L, true)]
    [InlineData(0L, -1L, true)]
    public void Trilu_matches_differences(long upper, long k, bool withK)
    {
        var g = new GraphCase(3);
        var x = g.Param("x", [2, 3, 4]);
        var inputs = withK ? new[] { x, g.Node("Squeeze", [g.ConstInt64(k)]) } : [x];
        var y = g.Node("Trilu", inputs, Attr.Int("upper", upper));
        // Trilu is linear: pass it through Tanh so the check also sees a non-constant upstream gradient.
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Tanh", [y]), [2, 3, 4]), g, glob: "x");
    }

    [Theory]
    [InlineData("bij,bjk->bik", new long[] { 2, 3, 4 }, new long[] { 2, 4, 5 }, new long[] { 2, 3, 5 })]
    [InlineData("bhqd,bhkd->bhqk", new long[] { 2, 2, 3, 4 }, new long[] { 2, 2, 5, 4 }, new long[] { 2, 2, 3, 5 })]
    [InlineData("bhqk,bhkd->bhqd", new long[] { 1, 2, 3, 5 }, new long[] { 1, 2, 5, 4 }, new long[] { 1, 2, 3, 4 })]
    [InlineData("ij,jk", new long[] { 3, 4 }, new long[] { 4, 2 }, new long[] { 3, 2 })]
    [InlineData("bi,bj->bij", new long[] { 2, 3 }, new long[] { 2, 4 }, new long[] { 2, 3, 4 })]
    [InlineData("ij,kj->i", new long[] { 3, 4 }, new long[] { 2, 4 }, new long[] { 3 })]
    public void Einsum_two_operands_matches_differences(string equation, long[] a, long[] b, long[] y)
    {
        var g = new GraphCase(5);
        var pa = g.Param("a", a);
        var pb = g.Param("b", b);
        var e = g.Node("Einsum", [pa, pb], Attr.String("equation", equation));
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Tanh", [e]), y), g);
    }

    [Theory]
    [InlineData("ij->ji", new long[] { 3, 4 }, new long[] { 4, 3 })]
    [InlineData("bij->bji", new long[] { 2, 3, 4 }, new long[] { 2, 4, 3 })]
    [InlineData("bij->bi", new long[] { 2, 3, 4 }, new long[] { 2, 3 })]
    [InlineData("ijk->kj", new long[] { 2, 3, 4 }, new long[] { 4, 3 })]
    public void Einsum_one_operand_matches_differences(string equation, long[] a, long[] y)
    {
        var g = new GraphCase(7);
        var pa = g.Param("a", a);
        var e = g.Node("Einsum", [pa], Attr.String("equation", equation));
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Tanh", [e]), y), g);
    }

    [Fact]
    public void Einsum_where_only_one_operand_is_a_parameter()
    {
        var g = new GraphCase(9);
        var a = g.Param("a", [2, 3, 4]);
        var b = g.Param("const_b", [2, 4, 3]);
        var e = g.Node("Einsum", [a, b], Attr.String("equation", "bij,bjk->bik"));
        GradientCheck.AgainstFiniteDifferences(g.Finish(e, [2, 3, 3]), g, glob: "a");
    }

    [Theory]
    [InlineData("ii->i", "repeated")]
    [InlineData("...ij,...jk->...ik", "ellipsis")]
    [InlineData("ij,jk,kl->il", "operands")]
    [InlineData("bii,bij->bj", "repeated")]
    public void Einsum_unsupported_forms_are_rejected_with_a_reason(string equation, string reason)
    {
        var inputs = equation.Split("->")[0].Split(',').Select((_, i) => $"x{i}");
        var node = new NodeView(new NodeProto { OpType = "Einsum", Input = { inputs }, Attribute = { Attr.String("equation", equation) } }, 18);
        Assert.Contains(reason, new EinsumRule().CheckSupported(node));
        Assert.Null(new EinsumRule().CheckSupported(new NodeView(new NodeProto { OpType = "Einsum", Input = { "a", "b" }, Attribute = { Attr.String("equation", "bhqd, bhkd -> bhqk") } }, 18)));
    }

    [Fact]
    public void Erf_matches_differences()
    {
        var g = new GraphCase(11);
        var x = g.Param("x", [3, 4], -2, 2);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Erf", [x]), [3, 4]), g);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_opset20_runs_and_matches_differences(string approximate)
    {
        var g = new GraphCase(13);
        var x = g.Param("x", [3, 5], -3, 3);
        var w = g.Param("w", [5, 4]);
        var h = g.Node("Gelu", [g.Node("MatMul", [x, w])], Attr.String("approximate", approximate));
        var model = AtOpset(g.Finish(h, [3, 4]), 20);
        var normalized = ModelNormalizer.Normalize(model);
        Assert.Equal(20, normalized.Opset);
        Assert.Equal(9, normalized.Proto.IrVersion);
        Assert.Contains(normalized.Proto.Graph.Node, n => n.OpType == "Gelu");
        GradientCheck.AgainstFiniteDifferences(normalized, g);
    }

    [Fact]
    public void Opset21_model_is_accepted_and_differentiated()
    {
        var g = new GraphCase(15);
        var x = g.Param("x", [2, 6]);
        var y = g.Node("Softmax", [g.Node("Mul", [x, x])], Attr.Int("axis", -1));
        var normalized = ModelNormalizer.Normalize(AtOpset(g.Finish(y, [2, 6]), 21));
        Assert.Equal(21, normalized.Opset);
        Assert.Equal(10, normalized.Proto.IrVersion);
        GradientCheck.AgainstFiniteDifferences(normalized, g);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(1L)]
    [InlineData(0L)]
    public void Masked_softmax_over_any_axis_matches_differences(long axis)
    {
        // Causal mask as attention builds it: Where(tril(ones) != 0, scores, -1e9), then Softmax; masked entries get no gradient.
        var g = new GraphCase(17);
        var x = g.Param("x", [4, 4], -2, 2);
        var ones = g.ParamValues("ones", [4, 4], Enumerable.Repeat(1f, 16).ToArray());
        var mask = g.Node("Cast", [g.Node("Trilu", [ones], Attr.Int("upper", 0))], Attr.Int("to", OnnxType.Bool));
        var neg = g.ParamValues("neg", [], [-1e9f]);
        var masked = g.Node("Where", [mask, x, neg]);
        var y = g.Node("Softmax", [masked], Attr.Int("axis", axis));
        var model = g.Finish(y, [4, 4]);
        GradientCheck.AgainstFiniteDifferences(model, g, glob: "x");
        var (_, grad, density) = GradientCheck.Evaluate(model, g, glob: "x");
        using (density)
            for (var i = 0; i < 4; i++)
                for (var j = i + 1; j < 4; j++)
                    Assert.Equal(0f, grad[i * 4 + j]);
    }

    [Fact]
    public void Shape_subgraphs_pass_without_gradient()
    {
        // A causal mask and a fill value built at run time from the activations' shape, as the TorchScript exporter
        // writes it: Shape → Gather → Range → Unsqueeze → GreaterOrEqual, ConstantOfShape, NonZero, Cast to int64, Equal.
        var g = new GraphCase(19);
        var x = g.Param("x", [2, 4, 4], -2, 2);
        var w = g.Param("w", [4, 4]);
        var h = g.Node("MatMul", [x, w]);
        var shape = g.Node("Shape", [h]);
        var t = g.Node("Squeeze", [g.Node("Gather", [shape, g.ConstInt64(2)], Attr.Int("axis", 0))]);
        var zero = g.Node("Squeeze", [g.ConstInt64(0)]);
        var one = g.Node("Squeeze", [g.ConstInt64(1)]);
        var r = g.Node("Range", [zero, t, one]);
        var causal = g.Node("GreaterOrEqual", [g.Node("Unsqueeze", [r, g.ConstInt64(1)]), g.Node("Unsqueeze", [r, g.ConstInt64(0)])]);
        var nz = g.Node("NonZero", [causal]);
        var count = g.Node("Cast", [g.Node("Shape", [nz], Attr.Int("start", 1)), ], Attr.Int("to", OnnxType.Int64));
        var ok = g.Node("Equal", [count, g.ConstInt64(10)]); // 10 = 4·5/2 entries on and below the diagonal
        var both = g.Node("And", [causal, ok]);
        var fill = g.Node("ConstantOfShape", [g.Node("Shape", [h])],
            Attr.Tensor("value", TensorData.FromFloats("v", [1], [-1e9f])));
        var hInt = g.Node("Cast", [h], Attr.Int("to", OnnxType.Int64)); // a float→int cast carries no gradient
        var hBack = g.Node("Cast", [hInt], Attr.Int("to", OnnxType.Float));
        var masked = g.Node("Where", [both, h, fill]);
        var y = g.Node("Add", [g.Node("Softmax", [masked], Attr.Int("axis", -1)), g.Node("Mul", [hBack, g.ParamValues("zero", [], [0f])])]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(y, [2, 4, 4]), g, glob: "x,w");
    }

    private static OnnxModel AtOpset(OnnxModel model, long opset)
    {
        var proto = model.Proto.Clone();
        proto.OpsetImport.Clear();
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        proto.IrVersion = ModelNormalizer.IrVersionFor(opset);
        return new OnnxModel(proto, model.SourcePath, null);
    }
}
