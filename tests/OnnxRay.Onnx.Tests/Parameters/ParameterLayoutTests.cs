using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Tests.AutodiffEngine;

namespace OnnxRay.Onnx.Tests.Parameters;

public class ParameterLayoutTests
{
    [Fact]
    public void Default_selection_skips_scalars_running_stats_and_shape_constants_in_first_use_order()
    {
        var g = new GraphCase();
        var x = g.Input("x", NpyArray.FromFloats(new float[2 * 3 * 4 * 4], 2, 3, 4, 4));
        var w = g.Param("conv.weight", [3, 3, 1, 1]);
        var y = g.Node("Conv", [x, w]);
        var bn = g.Node("BatchNormalization", [y, g.Param("bn.weight", [3]), g.Param("bn.bias", [3]), g.Param("bn.running_mean", [3]), g.Param("bn.running_var", [3], 0.5, 1)]);
        var scaled = g.Node("Mul", [bn, g.Param("temperature", [1])]);
        var flat = g.Node("Reshape", [scaled, g.ConstInt64(2, -1)]);
        var unused = g.Param("unused", [5]);
        var model = new OnnxModel(g.RawModel(flat), "layout.onnx", null);
        var layout = ParameterLayout.FromModel(model);
        Assert.Equal(["conv.weight", "bn.weight", "bn.bias"], layout.Tensors.Select(t => t.Name));
        Assert.Equal([0, 9, 12], layout.Tensors.Select(t => t.Offset));
        Assert.Equal(15, layout.Dimension);
        Assert.Equal([3L, 1, 1], layout.Tensors.Select(t => t.FanIn));
        Assert.DoesNotContain(unused, layout.Tensors.Select(t => t.Name));

        var chosen = ParameterLayout.FromModel(model, ParameterSelection.Parse("bn.*,temp?rature"));
        Assert.Equal(["bn.weight", "bn.bias", "temperature"], chosen.Tensors.Select(t => t.Name));
        var e = Assert.Throws<OnnxRayException>(() => ParameterLayout.FromModel(model, ParameterSelection.Parse("fc.*")));
        Assert.Contains("'fc.*'", e.Message);
        Assert.Contains("conv.weight", e.Message);
    }

    [Fact]
    public void Theta_round_trips_through_the_model()
    {
        var g = new GraphCase();
        var w = g.Param("w", [2, 3]);
        var b = g.Param("b", [3]);
        var model = g.Finish(g.Node("Add", [w, b]), [2, 3]);
        var layout = ParameterLayout.FromModel(model);
        var theta = layout.ReadInitialTheta(model);
        var changed = theta.Select(v => v * 2 + 1).ToArray();
        var rewritten = layout.WithTheta(model, changed);
        Assert.Equal(changed, layout.ReadInitialTheta(rewritten));
        Assert.Equal(theta, layout.ReadInitialTheta(model));
        Assert.Equal(changed[3..6], layout.SplitByTensor(changed)["w"][3..6]);
    }

    [Fact]
    public void Tied_weight_used_twice_is_one_parameter_with_summed_gradient()
    {
        var g = new GraphCase();
        var x = g.Input("x", NpyArray.FromFloats(Enumerable.Range(0, 8).Select(i => 0.1f * i - 0.3f).ToArray(), 2, 4));
        var w = g.Param("w", [4, 4]);
        var h = g.Node("Tanh", [g.Node("MatMul", [x, w])]);
        var y = g.Node("MatMul", [h, g.Node("Transpose", [w])]);
        var model = g.Finish(y, [2, 4]);
        var layout = ParameterLayout.FromModel(model);
        Assert.Single(layout.Tensors);
        GradientCheck.AgainstFiniteDifferences(model, g);
    }

    [Fact]
    public void Unsupported_ops_on_the_path_are_all_listed_before_any_work()
    {
        var g = new GraphCase();
        var x = g.Input("x", NpyArray.FromFloats(new float[3 * 4], 1, 3, 4));
        var lstm = g.Nodes("LSTM", [x, g.Param("lstm.W", [1, 20, 4]), g.Param("lstm.R", [1, 20, 5])], 3, "", Attr.Int("hidden_size", 5));
        var fused = g.Nodes("FusedMatMul", [lstm[1], g.Param("proj", [5, 5])], 1, "com.microsoft")[0];
        var hard = g.Node("Hardmax", [fused]);
        var offPath = g.Node("Hardmax", [x]); // no θ upstream: not reported
        var model = g.Finish(g.Node("Add", [hard, g.Node("ReduceSum", [offPath], Attr.Int("keepdims", 0))]), [1, 3, 5]);
        var e = Assert.Throws<UnsupportedOperatorException>(() => GradientCheck.Evaluate(model, g));
        Assert.Equal(["LSTM", "FusedMatMul", "Hardmax"], e.Nodes.Select(n => n.OpType));
        Assert.Equal("com.microsoft", e.Nodes[1].Domain);
        Assert.Contains("LSTM_", e.Message);
        Assert.Contains("Supported ops:", e.Message);
        Assert.Contains("Gemm", e.SupportedOps);
    }
}
