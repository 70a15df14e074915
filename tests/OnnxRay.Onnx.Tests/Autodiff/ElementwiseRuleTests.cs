using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

public class ElementwiseRuleTests
{
    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    public void Binary_ops_with_broadcasting_match_differences(string op)
    {
        var g = new GraphCase();
        var a = g.Param("a", [2, 3, 4]);
        var b = g.Param("b", [3, 1], 0.5, 1.5); // positive: Div stays smooth
        var y = g.Node(op, [a, b]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(y, [2, 3, 4]), g);
    }

    [Fact]
    public void Same_value_twice_accumulates_mul_x_x()
    {
        var g = new GraphCase();
        var x = g.Param("x", [5]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Mul", [x, x]), [5]), g);
    }

    [Theory]
    [InlineData("Sqrt")]
    [InlineData("Exp")]
    [InlineData("Log")]
    [InlineData("Reciprocal")]
    [InlineData("Neg")]
    [InlineData("Identity")]
    [InlineData("Dropout")]
    public void Unary_ops_match_differences(string op)
    {
        var g = new GraphCase();
        var x = g.Param("x", [3, 4], 0.5, 2.0);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node(op, [x]), [3, 4]), g);
    }

    [Fact]
    public void Abs_away_from_zero_matches_differences()
    {
        var g = new GraphCase();
        var x = g.ParamValues("x", [4], [-1.5f, -0.3f, 0.4f, 2f]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Abs", [x]), [4]), g);
    }

    [Fact]
    public void Pow_with_broadcast_exponent_differentiates_base_and_exponent()
    {
        var g = new GraphCase();
        var x = g.Param("x", [2, 3], 0.5, 2.0);
        var e = g.Param("e", [3], 0.5, 2.5);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node("Pow", [x, e]), [2, 3]), g);
    }

    [Theory]
    [InlineData("Sum")]
    [InlineData("Mean")]
    public void Variadic_sum_and_mean_with_broadcasting(string op)
    {
        var g = new GraphCase();
        var a = g.Param("a", [2, 3]);
        var b = g.Param("b", [3]);
        var c = g.Param("c", [2, 1]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node(op, [a, b, c]), [2, 3]), g);
    }

    [Theory]
    [InlineData("Min")]
    [InlineData("Max")]
    public void Min_max_without_ties_match_differences(string op)
    {
        var g = new GraphCase();
        var a = g.ParamValues("a", [4], [0.1f, 0.9f, -0.5f, 0.3f]);
        var b = g.ParamValues("b", [4], [0.6f, -0.2f, 0.5f, -0.7f]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(g.Node(op, [a, b]), [4]), g);
    }

    [Fact]
    public void Max_tie_goes_entirely_to_the_first_input()
    {
        var g = new GraphCase();
        var a = g.ParamValues("a", [3], [0.5f, 1f, -2f]);
        var b = g.ParamValues("b", [3], [0.5f, 0f, -1f]);
        var model = g.Finish(g.Node("Max", [a, b]), [3]);
        var s = (float[])g.Data["s"].Data;
        var (_, grad, density) = GradientCheck.Evaluate(model, g);
        using (density)
        {
            Assert.Equal(new[] { s[0], s[1], 0f, 0f, 0f, s[2] }, grad);
        }
    }

    [Fact]
    public void Where_routes_gradient_by_condition_and_expand_unreduces()
    {
        var g = new GraphCase();
        var a = g.ParamValues("a", [4], [0.5f, -1f, 2f, -0.3f]);
        var b = g.Param("b", [2, 1]);
        var cond = g.Node("Greater", [a, g.ParamValues("zero_like", [1], [0f])]);
        var expanded = g.Node("Expand", [b, g.ConstInt64(2, 4)]);
        var y = g.Node("Where", [cond, a, expanded]);
        GradientCheck.AgainstFiniteDifferences(g.Finish(y, [2, 4]), g, glob: "a,b");
    }
}
