namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Sigmoid, Tanh, Softplus, Softsign, Erf, Elu, Selu, Gelu (§6.2), mostly expressed through the forward output.</summary>
public sealed class ActivationSmoothRule : IGradientRule
{
    public IReadOnlyCollection<string> OpTypes { get; } = ["Sigmoid", "Tanh", "Softplus", "Softsign", "Erf", "Elu", "Selu", "Gelu"];

    public bool IsDifferentiableInput(NodeView node, int inputIndex) => inputIndex == 0;

    public string? CheckSupported(NodeView node) =>
        node.OpType == "Gelu" && node.GetString("approximate", "none") is not ("none" or "tanh")
            ? $"Gelu approximate='{node.GetString("approximate", "none")}' is not a valid form"
            : null;

    public void Emit(GradientContext ctx)
    {
        var node = ctx.Node;
        var dy = ctx.OutputGradient(0)!;
        var x = node.Input(0);
        var y = node.Output(0);
        var type = ctx.ElementType(y);
        string C(double v) => ctx.ConstScalar(v, type);
        string Mul(string a, string b) => ctx.Op("Mul", [a, b]);
        string Add(string a, string b) => ctx.Op("Add", [a, b]);
        string dx;
        switch (node.OpType)
        {
            case "Sigmoid":
                dx = Mul(Mul(dy, y), ctx.Op("Sub", [C(1), y]));
                break;
            case "Tanh":
                dx = Mul(dy, ctx.Op("Sub", [C(1), Mul(y, y)]));
                break;
            case "Softplus":
                dx = Mul(dy, ctx.Op("Sigmoid", [x]));
                break;
            case "Softsign":
                {
                    var d = Add(C(1), ctx.Op("Abs", [x]));
                    dx = ctx.Op("Div", [dy, Mul(d, d)]);
                    break;
                }
            case "Erf":
                dx = Mul(Mul(dy, C(2 / Math.Sqrt(Math.PI))), ctx.Op("Exp", [ctx.Op("Neg", [Mul(x, x)])]));
                break;
            case "Elu":
                {
                    // α·eˣ = y + α on the negative side.
                    var alpha = C(node.GetFloat("alpha", 1f));
                    dx = ctx.Op("Where", [ctx.Op("Greater", [x, C(0)]), dy, Mul(dy, Add(y, alpha))]);
                    break;
                }
            case "Selu":
                {
                    var alpha = node.GetFloat("alpha", 1.67326319217681884765625f);
                    var gamma = node.GetFloat("gamma", 1.05070102214813232421875f);
                    dx = ctx.Op("Where", [ctx.Op("Greater", [x, C(0)]), Mul(dy, C(gamma)), Mul(dy, Add(y, C((double)gamma * alpha)))]);
                    break;
                }
            default: // Gelu
                dx = node.GetString("approximate", "none") == "tanh" ? GeluTanh(ctx, dy, x, C, Mul, Add) : GeluExact(ctx, dy, x, C, Mul, Add);
                break;
        }
        ctx.AddInputGradient(0, dx);
    }

    private static string GeluExact(GradientContext ctx, string dy, string x, Func<double, string> C, Func<string, string, string> Mul, Func<string, string, string> Add)
    {
        // ½(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π)
        var cdf = Mul(C(0.5), Add(C(1), ctx.Op("Erf", [Mul(x, C(1 / Math.Sqrt(2)))])));
        var pdf = Mul(ctx.Op("Exp", [Mul(Mul(x, x), C(-0.5))]), C(1 / Math.Sqrt(2 * Math.PI)));
        return Mul(dy, Add(cdf, Mul(x, pdf)));
    }

    private static string GeluTanh(GradientContext ctx, string dy, string x, Func<double, string> C, Func<string, string, string> Mul, Func<string, string, string> Add)
    {
        var k = Math.Sqrt(2 / Math.PI);
        var x2 = Mul(x, x);
        var u = Mul(C(k), Add(x, Mul(C(0.044715), Mul(x2, x))));
        var t = ctx.Op("Tanh", [u]);
        var left = Mul(C(0.5), Add(C(1), t));
        var du = Mul(C(k), Add(C(1), Mul(C(3 * 0.044715), x2)));
        var right = Mul(Mul(C(0.5), x), Mul(ctx.Op("Sub", [C(1), Mul(t, t)]), du));
        return Mul(dy, Add(left, right));
    }
}
