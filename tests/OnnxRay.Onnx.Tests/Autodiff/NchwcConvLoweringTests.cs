using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.Rules;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

/// <summary>
/// Convs with θ filters lowered to ORT's blocked NCHWc kernels (<see cref="NchwcConvLowering"/>), and the Conv input
/// gradient as a flipped-filter Conv that is then lowered too: gradients of x, w and b against the same graph built with
/// standard ops only (input channels below, equal to and a multiple of the block, output channels padded to the block,
/// stride 2, dilation, asymmetric pads, fused Relu) and, for one small case, against central differences; log p and
/// gradient of the bundled CNN against its standard-op graph; and the shapes left alone. Shapes are chosen to be lowered with MLAS's block 8 (AVX2) and 16
/// (AVX-512) alike.
/// </summary>
public class NchwcConvLoweringTests
{
    public static TheoryData<string, long[], long[], long[], long[], long[]> Cases => new()
    {
        // name, X, W, strides, dilations, pads (batch × output pixels ≥ NchwcConvLowering.MinOutputPixels)
        { "3 input channels (NCHW input), 16 outputs", [32, 3, 4, 4], [16, 3, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1] },
        { "16 input channels (blocked input), input gradient lowered", [32, 16, 4, 4], [16, 16, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1] },
        { "32 input channels, 12 outputs padded to the block", [32, 32, 4, 4], [12, 32, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1] },
        { "stride 2", [32, 16, 8, 8], [16, 16, 3, 3], [2, 2], [1, 1], [1, 1, 1, 1] },
        { "dilation 2, asymmetric pads", [16, 16, 7, 6], [16, 16, 3, 2], [1, 1], [2, 1], [2, 0, 1, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lowered_conv_gives_the_standard_op_gradient(string name, long[] xShape, long[] wShape, long[] strides, long[] dilations, long[] pads)
    {
        _ = name;
        var g = ConvGraph(xShape, wShape, strides, dilations, pads, relu: false, out var y);
        // Squared, so that every gradient depends on the forward Conv's value too.
        AssertSameAsStandardOps(g, g.Node("Mul", [y, y]), expectLowered: 1);
    }

    /// <summary>One case small enough for central differences on x, w and b (the others compare with standard ops).</summary>
    [Fact]
    public void Lowered_conv_with_nchw_input_matches_the_reference()
    {
        long[] strides = [1, 1], dilations = [1, 1], pads = [1, 1, 1, 1];
        var g = ConvGraph([32, 3, 4, 4], [16, 3, 3, 3], strides, dilations, pads, relu: false, out var y);
        RuleCheck.Verify(g, y, ["x", "w", "b"], ["x", "w", "b"],
            a => ConvReference.Conv(a[0], a[1], a[2], strides, dilations, pads[..2], pads[2..], 1));
        Assert.True(NchwcKernels.BlockSize is null || LoweredConvs(DensityGraphOf(g, y)) == 1, "the forward Conv was not lowered");
    }

    [Fact]
    public void Stride_one_input_gradient_is_a_lowered_conv_and_stride_two_keeps_conv_transpose()
    {
        if (NchwcKernels.BlockSize is null) return;
        var one = DensityGraphOf(ConvGraph([32, 16, 4, 4], [16, 16, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1], false, out var y1), y1);
        Assert.Equal(2, LoweredConvs(one));
        Assert.DoesNotContain(one.Model.Graph.Node, n => n.OpType == "ConvTranspose");
        var two = DensityGraphOf(ConvGraph([32, 16, 8, 8], [16, 16, 3, 3], [2, 2], [1, 1], [1, 1, 1, 1], false, out var y2), y2);
        Assert.Equal(1, LoweredConvs(two));
        Assert.Single(two.Model.Graph.Node, n => n.OpType == "ConvTranspose");
    }

    [Fact]
    public void Relu_is_fused_into_the_lowered_conv_and_the_gradient_stays_the_same()
    {
        var g = ConvGraph([32, 16, 4, 4], [16, 16, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1], relu: true, out var y);
        AssertSameAsStandardOps(g, y, expectLowered: 2);
        if (NchwcKernels.BlockSize is null) return;
        var nodes = DensityGraphOf(g, y).Model.Graph.Node;
        Assert.DoesNotContain(nodes, n => n.OpType == "Relu");
        Assert.Contains(nodes, n => n.Domain == NchwcKernels.Domain && n.OpType == "Conv"
                                    && n.Attribute.Any(a => a.Name == "activation" && a.S.ToStringUtf8() == "Relu"));
    }

    [Theory]
    [InlineData(new long[] { 1, 16, 4, 4 }, new long[] { 16, 16, 3, 3 })]  // batch 1: 16 output pixels, below the threshold
    [InlineData(new long[] { 32, 1, 4, 4 }, new long[] { 16, 1, 3, 3 })]   // one input channel
    [InlineData(new long[] { 32, 3, 4, 4 }, new long[] { 2, 3, 3, 3 })]    // 2 of 8 or 16 output channels: mostly padding
    public void Small_or_ill_fitting_convs_are_left_alone(long[] xShape, long[] wShape)
    {
        var graph = DensityGraphOf(ConvGraph(xShape, wShape, [1, 1], [1, 1], [1, 1, 1, 1], false, out var y), y);
        Assert.Equal(0, LoweredConvs(graph));
        Assert.Contains(graph.Model.Graph.Node, n => n.OpType == "Conv" && n.Domain == "");
    }

    /// <summary>digits_cnn at batch 128 (4 × the reference batch): log p and every gradient as with standard ops only.</summary>
    [Fact]
    public void Bundled_cnn_gives_the_standard_op_log_density_and_gradient()
    {
        var dir = Path.Combine(RepositoryPaths.Models, "reference");
        var reference = NpzFile.Read(Path.Combine(dir, "digits_cnn_categorical_fanin1.0.npz"));
        var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, "digits_cnn.onnx")));
        var options = DensityOptions.Parse("categorical", "gaussian-fanin:1");
        var x = reference["x"];
        var target = reference["target"];
        var batch = new Dictionary<string, NpyArray>(StringComparer.Ordinal)
        {
            ["x"] = NpyArray.FromFloats(Tile(x.ToDoubles(), 4).Select(v => (float)v).ToArray(), [4 * x.Shape[0], .. x.Shape[1..]]),
            ["target"] = NpyArray.FromInt64s(Tile(target.ToDoubles(), 4).Select(v => (long)v).ToArray(), [4 * target.Shape[0]]),
        };
        var data = DensityData.FromArrays(batch, "digits").Prepare(model, options.Likelihood);
        var layout = ParameterLayout.FromModel(model);

        var (loweredLogP, loweredGradient, lowered) = Evaluate(model, layout, options, data, cpuKernels: true);
        var (standardLogP, standardGradient, standard) = Evaluate(model, layout, options, data, cpuKernels: false);

        Assert.Equal(0, LoweredConvs(standard));
        Assert.True(NchwcKernels.BlockSize is null || LoweredConvs(lowered) >= 1, "no Conv of the CNN was lowered at batch 128");
        Assert.True(Math.Abs(loweredLogP - standardLogP) <= 1e-5 * Math.Abs(standardLogP), $"log p {loweredLogP} vs {standardLogP}");
        foreach (var t in layout.Tensors)
        {
            double diff = 0, norm = 0;
            for (var i = t.Offset; i < t.Offset + t.Length; i++)
            {
                diff += (loweredGradient[i] - standardGradient[i]) * (loweredGradient[i] - standardGradient[i]);
                norm += standardGradient[i] * (double)standardGradient[i];
            }
            Assert.True(Math.Sqrt(diff) <= 1e-5 * Math.Sqrt(norm), $"gradient of '{t.Name}': relative difference {Math.Sqrt(diff / norm):E2}");
        }
    }

    /// <summary>
    /// The gradients of x, w and b from the lowered density graph equal those of the standard-op graph to float rounding; at least <paramref name="expectLowered"/> Convs were lowered where ORT has the NCHWc kernels.
    /// </summary>
    private static void AssertSameAsStandardOps(TestGraph g, string y, int expectLowered)
    {
        var shape = OrtRunner.Run(g.Build(y), g.Feeds, [y])[y].Shape;
        var seed = TestTensor.Random(new Random(42), shape);
        DensityGraph? lowered = null, standard = null;
        var want = RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["x", "w", "b"], y, seed, d => standard = d, cpuKernels: false);
        var got = RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["x", "w", "b"], y, seed, d => lowered = d);
        Assert.Equal(0, LoweredConvs(standard!));
        Assert.True(NchwcKernels.BlockSize is null || LoweredConvs(lowered!) >= expectLowered,
            $"{LoweredConvs(lowered!)} Convs lowered, expected at least {expectLowered}");
        foreach (var name in want.Keys)
        {
            double error = ReferenceGradient.RelativeError(got[name], want[name]);
            Assert.True(error < 1e-5, $"gradient of '{name}' differs from the standard-op graph's: relative error {error:E2}");
        }
    }

    private static (double LogP, float[] Gradient, DensityGraph Graph) Evaluate(OnnxModel model, ParameterLayout layout, DensityOptions options,
        DensityData data, bool cpuKernels)
    {
        var graph = DensityGraphBuilder.Build(model, layout, options, data.Arrays, 1.0, cpuKernels: cpuKernels);
        using var session = new GraphSession(graph, new OrtLogDensityOptions());
        var chunk = graph.DataInputs.Select(d => OrtTensors.Wrap(data.Arrays[d.Name].Data, d.Shape)).ToArray();
        try
        {
            layout.ReadInitialTheta(model).CopyTo(session.Theta, 0);
            session.SetData(chunk);
            var logP = session.Run(1f, 1f);
            return (logP, session.Gradient.ToArray(), graph);
        }
        finally
        {
            foreach (var v in chunk) v.Dispose();
        }
    }

    private static IEnumerable<double> Tile(double[] values, int times) => Enumerable.Repeat(values, times).SelectMany(v => v);

    private static TestGraph ConvGraph(long[] xShape, long[] wShape, long[] strides, long[] dilations, long[] pads, bool relu, out string y)
    {
        var rng = new Random(41);
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("w", TestTensor.Random(rng, wShape));
        g.Input("b", TestTensor.Random(rng, [wShape[0]]));
        y = g.Node("Conv", ["x", "w", "b"], Attr.Ints("strides", strides), Attr.Ints("dilations", dilations), Attr.Ints("pads", pads));
        if (relu) y = g.Node("Relu", [y]);
        return g;
    }

    /// <summary>The density graph of ∂/∂(x, w, b) Σ seed ⊙ y.</summary>
    private static DensityGraph DensityGraphOf(TestGraph g, string y)
    {
        DensityGraph? graph = null;
        var shape = OrtRunner.Run(g.Build(y), g.Feeds, [y])[y].Shape;
        RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["x", "w", "b"], y, TestTensor.Random(new Random(42), shape), d => graph = d);
        return graph!;
    }

    /// <summary>Lowered Convs end in a ReorderOutput (the blocked weight gradient has none).</summary>
    private static int LoweredConvs(DensityGraph graph) => graph.Model.Graph.Node.Count(n => n.Domain == NchwcKernels.Domain && n.OpType == "ReorderOutput");
}
