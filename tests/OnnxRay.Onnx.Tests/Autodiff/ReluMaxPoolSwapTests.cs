using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.Rules;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

/// <summary>
/// Gradient graphs pool before the Relu (MaxPool(Relu(x)) → Relu(MaxPool(x))): against double-precision finite
/// differences of Conv → Relu → MaxPool, bit for bit against the same graph left unswapped (a second consumer of the
/// Relu keeps it in place), on the tiled and the Indices pool backward, and the cases that must stay as they are.
/// </summary>
public class ReluMaxPoolSwapTests
{
    public static TheoryData<string, long[], long[], long[]> Cases => new()
    {
        // name, X, kernel, strides: windows that tile the input take the tiled pool backward, others the Indices form
        // (Relu outputs of 4 channels ≥ ReluMaxPoolSwap.MinElements)
        { "tiled", [2, 3, 32, 32], [2, 2], [2, 2] },
        { "indices", [1, 3, 48, 48], [2, 2], [3, 2] },
        { "overlapping", [1, 3, 47, 47], [3, 3], [2, 2] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv_relu_maxpool_gradient_matches_finite_differences_with_the_pool_moved_before_the_relu(string name, long[] xShape, long[] kernel, long[] strides)
    {
        _ = name;
        var rng = new Random(21);
        var g = ConvReluPool(xShape, kernel, strides, rng, out var y, extraReluConsumer: false);
        DensityGraph? graph = null;
        RuleCheck.Verify(g, y, ["x", "w", "b"], ["w", "b"], a =>
        {
            var conv = ConvReference.Conv(a[0], a[1], a[2], [1, 1], [1, 1], [1, 1], [1, 1], 1);
            var relu = new TestTensor(conv.Shape, conv.Values.Select(v => Math.Max(v, 0)).ToArray());
            return PoolReference.MaxPool(relu, kernel, strides, [1, 1], [0, 0], [0, 0], false);
        });
        RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["w"], y, Seed(g, y), d => graph = d);
        AssertPoolFeedsRelu(graph!, expected: true);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Swapped_gradient_equals_the_unswapped_one_bit_for_bit(string name, long[] xShape, long[] kernel, long[] strides)
    {
        _ = name;
        var swapped = Gradients(xShape, kernel, strides, extraReluConsumer: false, out var swappedGraph);
        var kept = Gradients(xShape, kernel, strides, extraReluConsumer: true, out var keptGraph);
        AssertPoolFeedsRelu(swappedGraph, expected: true);
        AssertPoolFeedsRelu(keptGraph, expected: false);
        Assert.Equal(kept["w"].Values, swapped["w"].Values);
        Assert.Equal(kept["b"].Values, swapped["b"].Values);
    }

    [Fact]
    public void Leaves_relus_with_other_consumers_graph_outputs_and_pools_with_indices_alone()
    {
        var graph = new GraphProto();
        graph.Node.Add(Node("Relu", ["a"], ["r1"]));
        graph.Node.Add(Node("MaxPool", ["r1"], ["p1"]));
        graph.Node.Add(Node("Identity", ["r1"], ["i1"]));           // second consumer
        graph.Node.Add(Node("Relu", ["a"], ["r2"]));
        graph.Node.Add(Node("MaxPool", ["r2"], ["p2", "idx"]));     // Indices output
        graph.Node.Add(Node("Relu", ["a"], ["r3"]));
        graph.Node.Add(Node("MaxPool", ["r3"], ["p3"]));
        graph.Output.Add(new ValueInfoProto { Name = "r3" });       // Relu output is a graph output
        var types = Types(["r1", "p1", "r2", "p2", "r3", "p3"], [1, 4, 64, 64]);
        graph.Node.Add(Node("Relu", ["a"], ["r4"]));
        graph.Node.Add(Node("MaxPool", ["r4"], ["p4"]));           // too small
        types.Set("r4", [1, 1, 8, 8], OnnxType.Float);
        types.Set("p4", [1, 1, 4, 4], OnnxType.Float);
        var before = graph.Clone();
        Assert.Equal(0, ReluMaxPoolSwap.Apply(graph, new UniqueNames([]), types));
        Assert.Equal(before, graph);
    }

    [Fact]
    public void Swap_keeps_the_pool_output_name_and_the_topological_order()
    {
        var graph = new GraphProto();
        graph.Node.Add(Node("Conv", ["x", "w"], ["c"]));
        graph.Node.Add(Node("Relu", ["c"], ["r"]));
        graph.Node.Add(Node("Sigmoid", ["x"], ["s"]));
        graph.Node.Add(Node("MaxPool", ["r"], ["p"]));
        graph.Node.Add(Node("Flatten", ["p"], ["f"]));
        var types = Types(["c", "r"], [2, 4, 32, 32]);
        types.Set("p", [2, 4, 16, 16], OnnxType.Float);
        Assert.Equal(1, ReluMaxPoolSwap.Apply(graph, new UniqueNames(["x", "w", "c", "r", "s", "p", "f"]), types));
        Assert.Equal(["Conv", "MaxPool", "Sigmoid", "Relu", "Flatten"], graph.Node.Select(n => n.OpType));
        var pool = graph.Node[1];
        var relu = graph.Node[3];
        Assert.Equal("c", pool.Input[0]);
        Assert.Equal(pool.Output[0], relu.Input[0]);
        Assert.Equal("p", relu.Output[0]);
        Assert.Equal([2, 4, 16, 16], types.Find(pool.Output[0])!.Value.Shape);
        Assert.DoesNotContain(graph.Node, n => n.Output.Contains("r"));
    }

    private static Dictionary<string, TestTensor> Gradients(long[] xShape, long[] kernel, long[] strides, bool extraReluConsumer, out DensityGraph graph)
    {
        var g = ConvReluPool(xShape, kernel, strides, new Random(22), out var y, extraReluConsumer);
        DensityGraph? built = null;
        var gradients = RuleCheck.EngineGradients(g.Build(y), g.Feeds, ["w", "b"], y, Seed(g, y), d => built = d);
        graph = built!;
        return gradients;
    }

    /// <summary>
    /// x → Conv(w, b; 3×3, pad 1, 4 channels) → Relu → MaxPool. A negative bias and inputs with whole negative patches
    /// give windows that are all zero after the Relu (ties at 0), the case where the mask decides.
    /// </summary>
    private static TestGraph ConvReluPool(long[] xShape, long[] kernel, long[] strides, Random rng, out string y, bool extraReluConsumer)
    {
        var g = new TestGraph();
        var x = TestTensor.Random(rng, xShape);
        for (var i = 0; i < x.Count; i += 7) x.Values[i] = -1;
        g.Input("x", x);
        g.Input("w", TestTensor.Random(rng, [4, xShape[1], 3, 3], -0.5, 0.5));
        g.Input("b", TestTensor.Random(rng, [4], -0.4, 0.1));
        string conv = g.Node("Conv", ["x", "w", "b"], Attr.Ints("kernel_shape", [3, 3]), Attr.Ints("pads", [1, 1, 1, 1]));
        string relu = g.Node("Relu", [conv]);
        if (extraReluConsumer) g.Node("Identity", [relu]);
        y = g.Node("MaxPool", [relu], Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", strides));
        return g;
    }

    private static TestTensor Seed(TestGraph g, string y)
    {
        var shape = OrtRunner.Run(g.Build(y), g.Feeds, [y])[y].Shape;
        return TestTensor.Random(new Random(23), shape);
    }

    /// <summary>Whether the density graph's Relu reads the MaxPool's output (swapped) or the MaxPool reads the Relu's.</summary>
    private static void AssertPoolFeedsRelu(DensityGraph graph, bool expected)
    {
        var nodes = graph.Model.Graph.Node;
        var pool = nodes.First(n => n.OpType == "MaxPool");
        var relu = nodes.First(n => n.OpType == "Relu");
        Assert.Equal(expected, relu.Input[0] == pool.Output[0]);
        Assert.Equal(!expected, pool.Input[0] == relu.Output[0]);
    }

    private static ValueInfoTable Types(string[] names, long[] shape)
    {
        var types = new ValueInfoTable();
        foreach (var n in names) types.Set(n, shape, OnnxType.Float);
        return types;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }
}
