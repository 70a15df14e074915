using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>BatchNormalization (inference), InstanceNormalization, Softmax and LogSoftmax VJPs against double references.</summary>
public class NormalizationRuleTests
{
    [Theory]
    [InlineData(new long[] { 4, 3 })]
    [InlineData(new long[] { 2, 3, 5 })]
    [InlineData(new long[] { 2, 3, 4, 3 })]
    [InlineData(new long[] { 1, 2, 3, 2, 3 })]
    public void BatchNormalization_gradients_match_reference(long[] xShape)
    {
        var rng = new Random(21);
        long c = xShape[1];
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("scale", TestTensor.Random(rng, [c], 0.5, 1.5));
        g.Input("bias", TestTensor.Random(rng, [c]));
        g.Input("mean", TestTensor.Random(rng, [c]));
        g.Input("var", TestTensor.Random(rng, [c], 0.5, 2));
        string y = g.Node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], Attr.Float("epsilon", 1e-3f));
        RuleCheck.Verify(g, y, ["x", "scale", "bias", "mean", "var"], ["x", "scale", "bias"],
            a => NormalizationReference.BatchNorm(a[0], a[1], a[2], a[3], a[4], (double)1e-3f));
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 6 })]
    [InlineData(new long[] { 2, 2, 3, 4 })]
    [InlineData(new long[] { 1, 2, 2, 3, 3 })]
    public void InstanceNormalization_gradients_match_reference(long[] xShape)
    {
        var rng = new Random(22);
        long c = xShape[1];
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("scale", TestTensor.Random(rng, [c], 0.5, 1.5));
        g.Input("bias", TestTensor.Random(rng, [c]));
        string y = g.Node("InstanceNormalization", ["x", "scale", "bias"], Attr.Float("epsilon", 1e-2f));
        RuleCheck.Verify(g, y, ["x", "scale", "bias"], ["x", "scale", "bias"],
            a => NormalizationReference.InstanceNorm(a[0], a[1], a[2], (double)1e-2f));
    }

    [Theory]
    [InlineData("Softmax", -1)]
    [InlineData("Softmax", 1)]
    [InlineData("Softmax", 0)]
    [InlineData("LogSoftmax", -1)]
    [InlineData("LogSoftmax", 1)]
    [InlineData("LogSoftmax", -3)]
    public void Softmax_family_gradient_matches_reference(string op, int axis)
    {
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(new Random(23), [3, 4, 5], -3, 3));
        string y = g.Node(op, ["x"], Attr.Int("axis", axis));
        RuleCheck.Verify(g, y, ["x"], ["x"], a => NormalizationReference.Softmax(a[0], axis, op == "LogSoftmax"));
    }

    [Fact]
    public void Training_mode_batch_normalization_is_rejected_with_a_reason()
    {
        var node = new Protobuf.NodeProto { OpType = "BatchNormalization", Name = "bn", Input = { "x", "s", "b", "m", "v" }, Output = { "y" } };
        node.Attribute.Add(Attr.Int("training_mode", 1));
        var reason = GradientRuleRegistry.Default.Find("BatchNormalization")!.CheckSupported(new NodeView(node, 18));
        Assert.NotNull(reason);
        Assert.Contains("training_mode", reason);
    }
}
