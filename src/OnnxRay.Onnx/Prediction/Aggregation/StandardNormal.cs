namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// The standard normal distribution: density, CDF Φ and its inverse Φ⁻¹, accurate to a few ulps in double
/// precision including the far tails (the CDF keeps relative accuracy in the lower tail, never cancelling to 0 early).
/// </summary>
public static class StandardNormal
{
    /// <summary>ln √(2π).</summary>
    public const double LogSqrtTwoPi = 0.91893853320467274178;

    private const double InverseSqrtTwoPi = 0.39894228040143267794;

    // Mills ratio R(z) = Q(z)/φ(z) at z = 0, 1, …, 8 (computed with mpmath at 40 digits; see
    // models/diagnostics-reference/normal_reference.py). Between nodes R is expanded as a Taylor series.
    private static readonly double[] MillsRatioAtIntegers =
    [
        1.2533141373155003, 0.6556795424187984, 0.4213692292880545, 0.3045902987101033, 0.23665238291356067,
        0.19280810471531576, 0.16237766089686745, 0.14010418345305023, 0.1231319632579323,
    ];

    /// <summary>Density φ(x).</summary>
    public static double Pdf(double x) => InverseSqrtTwoPi * Math.Exp(-0.5 * x * x);

    /// <summary>ln φ(x).</summary>
    public static double LogPdf(double x) => -0.5 * x * x - LogSqrtTwoPi;

    /// <summary>Φ(x) = P(Z ≤ x). Returns NaN for NaN, 0 and 1 at ∓∞.</summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        var upperTail = UpperTail(Math.Abs(x));
        return x >= 0 ? 1.0 - upperTail : upperTail;
    }

    /// <summary>Q(a) = 1 − Φ(a) for a ≥ 0, with full relative accuracy.</summary>
    private static double UpperTail(double a)
    {
        if (a > 40) return 0.0; // below the smallest double
        return MillsRatio(a) * Pdf(a);
    }

    /// <summary>R(a) = Q(a)/φ(a) for a ≥ 0.</summary>
    private static double MillsRatio(double a)
    {
        if (a > 8.0)
        {
            // Laplace's continued fraction R(a) = 1/(a + 1/(a + 2/(a + 3/(a + …)))) converges fast for large a.
            var tail = a;
            for (var k = 60; k >= 1; k--) tail = a + k / tail;
            return 1.0 / tail;
        }

        // Taylor series of R around the nearest integer node z, using R' = xR − 1, so that the
        // coefficients c_n = R⁽ⁿ⁾(z)/n! obey (n+1)c_{n+1} = z·c_n + c_{n−1} for n ≥ 1 and c_1 = z·c_0 − 1.
        var node = (int)Math.Round(a);
        var h = a - node;
        double previous = MillsRatioAtIntegers[node];
        double current = node * previous - 1.0;
        var sum = previous + current * h;
        var power = h;
        for (var n = 1; n < 80; n++)
        {
            var next = (node * current + previous) / (n + 1);
            previous = current;
            current = next;
            power *= h;
            var term = current * power;
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
        }
        return sum;
    }

    /// <summary>
    /// Φ⁻¹(p), Wichura's algorithm AS 241 (PPND16, relative accuracy about 1e-16). Returns −∞ at 0, +∞ at 1,
    /// NaN outside [0, 1].
    /// </summary>
    public static double InverseCdf(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1) return double.NaN;
        if (p == 0) return double.NegativeInfinity;
        if (p == 1) return double.PositiveInfinity;

        var q = p - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            var r = 0.180625 - q * q;
            return q * Polynomial(r, CentralNumerator) / Polynomial(r, CentralDenominator);
        }

        var tail = Math.Sqrt(-Math.Log(q < 0 ? p : 1.0 - p));
        double value;
        if (tail <= 5.0)
        {
            var r = tail - 1.6;
            value = Polynomial(r, IntermediateNumerator) / Polynomial(r, IntermediateDenominator);
        }
        else
        {
            var r = tail - 5.0;
            value = Polynomial(r, FarNumerator) / Polynomial(r, FarDenominator);
        }
        return q < 0 ? -value : value;
    }

    // Horner evaluation; coefficients are ordered from the constant term up.
    private static double Polynomial(double x, double[] coefficients)
    {
        var value = coefficients[^1];
        for (var i = coefficients.Length - 2; i >= 0; i--) value = value * x + coefficients[i];
        return value;
    }

    // AS 241 coefficients (Wichura 1988, Applied Statistics 37:477), constant term first.
    private static readonly double[] CentralNumerator =
    [
        3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3, 1.3731693765509461125e+4,
        4.5921953931549871457e+4, 6.7265770927008700853e+4, 3.3430575583588128105e+4, 2.5090809287301226727e+3,
    ];

    private static readonly double[] CentralDenominator =
    [
        1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
        2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4, 5.2264952788528545610e+3,
    ];

    private static readonly double[] IntermediateNumerator =
    [
        1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0, 3.64784832476320460504e0,
        1.27045825245236838258e0, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4,
    ];

    private static readonly double[] IntermediateDenominator =
    [
        1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
        1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9,
    ];

    private static readonly double[] FarNumerator =
    [
        6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0, 2.96560571828504891230e-1,
        2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
    ];

    private static readonly double[] FarDenominator =
    [
        1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
        7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15,
    ];
}
