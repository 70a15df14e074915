using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

public class LayerNormalizationRuleTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Layer_norm_input_scale_and_bias_match_differences(long axis)
    {
        var g = new GraphCase(11);
        var x = g.Param("x", [2, 3, 4], -2, 2);
        long[] affine = axis == -1 ? [4] : [3, 4];
        var scale = g.Param("scale", affine, 0.5, 1.5);
        var bias = g.Param("bias", affine);
        var y = g.Node("LayerNormalization", [x, scale, bias], Attr.Int("axis", axis), Attr.Float("epsilon", 1e-5f));
        GradientCheck.AgainstFiniteDifferences(g.Finish(y, [2, 3, 4]), g, tolerance: 3e-3);
    }
}
