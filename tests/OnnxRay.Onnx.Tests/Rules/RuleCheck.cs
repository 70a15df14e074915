using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// Runs one graph through the reverse pass and compares forward output and gradients with a double-precision
/// C# reference: the forward comparison pins the reference to ORT's semantics, the gradient comparison tests the rule.
/// </summary>
public static class RuleCheck
{
    public const double ForwardTolerance = 1e-4;
    public const double GradientTolerance = 2e-4;

    /// <param name="graph">the test graph (its feeds are the reference inputs, in <paramref name="referenceInputs"/> order)</param>
    /// <param name="output">the graph output differentiated</param>
    /// <param name="referenceInputs">graph input names in the order the reference takes them</param>
    /// <param name="wrt">which of <paramref name="referenceInputs"/> to differentiate (float inputs)</param>
    /// <param name="reference">the C# forward reference</param>
    public static void Verify(TestGraph graph, string output, string[] referenceInputs, string[] wrt,
        Func<TestTensor[], TestTensor> reference, int seed = 1)
    {
        var model = graph.Build(output);
        var args = referenceInputs.Select(n => graph.Feeds[n]).ToArray();
        var expectedY = reference(args);
        var seedTensor = TestTensor.Random(new Random(seed + 1000), expectedY.Shape);
        var (grads, y) = RuleHarness.Gradients(model, graph.Feeds, wrt, output, seedTensor);

        double forwardError = ReferenceGradient.RelativeError(y, expectedY);
        Assert.True(forwardError < ForwardTolerance, $"forward output differs from the C# reference: relative error {forwardError:E2}");
        foreach (var name in wrt)
        {
            int which = Array.IndexOf(referenceInputs, name);
            var expected = ReferenceGradient.Of(reference, args, which, seedTensor);
            double error = ReferenceGradient.RelativeError(grads[name], expected);
            Assert.True(error < GradientTolerance, $"gradient of '{name}' differs from the reference: relative error {error:E2}");
        }
    }

    public static AttributeProto[] Attrs(params AttributeProto?[] attributes) => attributes.Where(a => a is not null).ToArray()!;
}
