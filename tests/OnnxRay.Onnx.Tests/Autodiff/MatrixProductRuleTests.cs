using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

public class MatrixProductRuleTests
{
    [Theory]
    [InlineData(0, 0, new long[] { 4 })]
    [InlineData(0, 1, new long[] { 1, 4 })]
    [InlineData(1, 0, new long[] { 3, 1 })]
    [InlineData(1, 1, new long[] { 3, 4 })]
    [InlineData(1, 1, new long[0])]
    public void Gemm_all_transposes_with_broadcast_c(int transA, int transB, long[] cShape)
    {
        const int m = 3, k = 5, n = 4;
        var g = new GraphCase();
        var a = g.Param("a", transA == 1 ? [k, m] : [m, k]);
        var b = g.Param("b", transB == 1 ? [n, k] : [k, n]);
        var c = g.Param("c", cShape);
        var y = g.Node("Gemm", [a, b, c], Attr.Int("transA", transA), Attr.Int("transB", transB), Attr.Float("alpha", 0.7f), Attr.Float("beta", 1.3f));
        GradientCheck.AgainstFiniteDifferences(g.Finish(y, [m, n]), g);
    }

    [Theory]
    [InlineData(new long[] { 3, 4 }, new long[] { 4, 5 }, new long[] { 3, 5 })]
    [InlineData(new long[] { 4 }, new long[] { 4, 5 }, new long[] { 5 })]
    [InlineData(new long[] { 3, 4 }, new long[] { 4 }, new long[] { 3 })]
    [InlineData(new long[] { 4 }, new long[] { 4 }, new long[0])]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 4, 5 }, new long[] { 2, 3, 5 })]
    [InlineData(new long[] { 2, 1, 3, 4 }, new long[] { 3, 4, 2 }, new long[] { 2, 3, 3, 2 })]
    [InlineData(new long[] { 4 }, new long[] { 2, 4, 3 }, new long[] { 2, 3 })]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 4 }, new long[] { 2, 3 })]
    public void MatMul_numpy_semantics(long[] aShape, long[] bShape, long[] yShape)
    {
        var g = new GraphCase();
        var a = g.Param("a", aShape);
        var b = g.Param("b", bShape);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("MatMul", [a, b]), yShape), g);
    }
}
