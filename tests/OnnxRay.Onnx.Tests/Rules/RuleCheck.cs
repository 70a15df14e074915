using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>
/// Runs one graph through the engine (the production density-graph path, with the inputs to differentiate turned into
/// θ initializers) and compares forward output and gradients with a double-precision C# reference: the forward
/// comparison pins the reference to ORT's semantics, the gradient comparison tests the rule.
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
    /// <param name="hoistLimitBytes">see <see cref="ObjectiveSession"/></param>
    public static void Verify(TestGraph graph, string output, string[] referenceInputs, string[] wrt,
        Func<TestTensor[], TestTensor> reference, int seed = 1, long hoistLimitBytes = DataOnlyPart.DefaultLimitBytes)
    {
        var model = graph.Build(output);
        var args = referenceInputs.Select(n => graph.Feeds[n]).ToArray();
        var expectedY = reference(args);
        var seedTensor = TestTensor.Random(new Random(seed + 1000), expectedY.Shape);
        var y = OrtRunner.Run(model, graph.Feeds, [output])[output];
        var grads = EngineGradients(model, graph.Feeds, wrt, output, seedTensor, hoistLimitBytes: hoistLimitBytes);

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

    /// <summary>∂/∂x Σ seed ⊙ output for each x in <paramref name="wrt"/>, from the engine's density graph.</summary>
    /// <param name="inspect">called with the density graph, for tests that check which form a rule emitted</param>
    public static Dictionary<string, TestTensor> EngineGradients(ModelProto model, IReadOnlyDictionary<string, TestTensor> feeds,
        IReadOnlyList<string> wrt, string output, TestTensor seed, Action<DensityGraph>? inspect = null, long hoistLimitBytes = DataOnlyPart.DefaultLimitBytes,
        bool cpuKernels = true)
    {
        // The inputs to differentiate become initializers (θ); the rest stay data inputs.
        var proto = model.Clone();
        var data = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var (name, t) in feeds)
        {
            if (!wrt.Contains(name)) { data[name] = t.IsInt64 ? NpyArray.FromInt64s(t.Integers, t.Shape) : NpyArray.FromFloats(t.ToFloats(), t.Shape); continue; }
            var init = new TensorProto { Name = name, DataType = OnnxRay.Onnx.Autodiff.OnnxType.Float };
            init.Dims.AddRange(t.Shape);
            init.FloatData.AddRange(t.ToFloats());
            proto.Graph.Initializer.Add(init);
            var input = proto.Graph.Input.First(i => i.Name == name);
            proto.Graph.Input.Remove(input);
        }
        using var session = new ObjectiveSession(new OnnxModel(proto, "rule-test.onnx", null), output, data,
            NpyArray.FromFloats(seed.ToFloats(), seed.Shape), ParameterSelection.Parse(string.Join(",", wrt)), hoistLimitBytes, cpuKernels);
        inspect?.Invoke(session.Graph);
        var byTensor = session.GradientByTensor(session.InitialTheta);
        return wrt.ToDictionary(n => n, n => new TestTensor(feeds[n].Shape, byTensor[n].Select(v => (double)v).ToArray()), StringComparer.Ordinal);
    }

    public static AttributeProto[] Attrs(params AttributeProto?[] attributes) => attributes.Where(a => a is not null).ToArray()!;
}
