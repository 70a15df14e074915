namespace OnnxRay.Testing.Targets;

/// <summary>
/// Neal's funnel: θ ~ N(0, 3²) (coordinate 0), z_i | θ ~ N(0, e^θ) for i = 1..D−1.
/// Exact: E[θ] = 0, E[θ²] = 9, Var[θ²] = 162; E[z_i] = 0, E[z_i²] = E[e^θ] = e^{4.5}.
/// </summary>
public sealed class FunnelTarget(int dimension = 20) : AnalyticTarget(dimension)
{
    public override double[] Mean => new double[Dimension];

    public override double[] SecondMoment
    {
        get
        {
            var m = Enumerable.Repeat(Math.Exp(4.5), Dimension).ToArray();
            m[0] = 9;
            return m;
        }
    }

    public override double[] VarianceOfSquare
    {
        get
        {
            // Var[z²] = E[z⁴] − E[z²]² = 3E[e^{2θ}] − E[e^θ]² = 3e^{18} − e^{9}.
            var v = Enumerable.Repeat(3 * Math.Exp(18) - Math.Exp(9), Dimension).ToArray();
            v[0] = 162;
            return v;
        }
    }

    protected override double LogDensityAndGradient(ReadOnlySpan<float> x, Span<float> gradient)
    {
        double theta = x[0];
        var n = Dimension - 1;
        var logp = -theta * theta / 18.0 - 0.5 * n * theta;
        var gTheta = -theta / 9.0 - 0.5 * n;
        var invVar = Math.Exp(-theta);
        for (var i = 1; i < Dimension; i++)
        {
            double z = x[i];
            logp -= 0.5 * z * z * invVar;
            gTheta += 0.5 * z * z * invVar;
            gradient[i] = (float)(-z * invVar);
        }
        gradient[0] = (float)gTheta;
        return logp;
    }
}
