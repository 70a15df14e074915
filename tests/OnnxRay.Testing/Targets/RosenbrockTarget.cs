namespace OnnxRay.Testing.Targets;

/// <summary>
/// Banana target in pairs (x, y): log p = −½ Σ [(x − 1)² + (x² − y)²/Q]. Exact: x ~ N(1, 1), y | x ~ N(x², Q), so
/// E[x] = 1, E[y] = 2, E[x²] = 2, E[y²] = 10 + Q, Var[x²] = 6, Var[y²] = 764 + 60Q + 3Q² − (10 + Q)² (668.02 at Q = 0.1; the MCHMC table rounds it to 668.7).
/// </summary>
public sealed class RosenbrockTarget(int pairs, double q = 0.1) : AnalyticTarget(2 * pairs)
{
    public double Q { get; } = q;

    public override double[] Mean => Interleave(1.0, 2.0);
    public override double[] SecondMoment => Interleave(2.0, 10.0 + Q);
    public override double[] VarianceOfSquare => Interleave(6.0, VarY2());

    private double VarY2()
    {
        // y = x² + √Q z with x ~ N(1,1): E[y⁴] − E[y²]² computed from Gaussian moments.
        // For x ~ N(1,1): E[x⁴] = 10, E[x⁸] = 764.
        const double ex4 = 10, ex8 = 764;
        var ey4 = ex8 + 6 * Q * ex4 + 3 * Q * Q;
        var ey2 = ex4 + Q;
        return ey4 - ey2 * ey2;
    }

    private double[] Interleave(double odd, double even)
    {
        var r = new double[Dimension];
        for (var i = 0; i < Dimension; i += 2)
        {
            r[i] = odd;
            r[i + 1] = even;
        }
        return r;
    }

    protected override double LogDensityAndGradient(ReadOnlySpan<float> v, Span<float> gradient)
    {
        double logp = 0;
        for (var i = 0; i < Dimension; i += 2)
        {
            double x = v[i], y = v[i + 1];
            var r = x * x - y;
            logp -= 0.5 * ((x - 1) * (x - 1) + r * r / Q);
            gradient[i] = (float)(-(x - 1) - 2 * x * r / Q);
            gradient[i + 1] = (float)(r / Q);
        }
        return logp;
    }
}
