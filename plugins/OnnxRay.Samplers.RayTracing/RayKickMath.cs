namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The double-precision math of the ray-tracing kick (samplers.md §1.2), as pure functions so it can be tested
/// exactly. Uses the overflow-free algebraic form: no trigonometry and no e^{+k}, so huge gradients or steps stay
/// finite. X and Y are the squared lengths ‖|g|v + |v|g‖² and ‖|g|v − |v|g‖²; only their ratio matters.
/// </summary>
public static class RayKickMath
{
    /// <summary>
    /// Kick coefficients from the three reductions |v|, |g| and v·g of one ray (§1.10) with time step
    /// <paramref name="h"/> (may be negative: the time-reversed kick) in <paramref name="dimension"/> ≥ 2 dimensions.
    /// </summary>
    public static KickCoefficients FromReductions(double velocityNorm, double gradientNorm, double velocityDotGradient, double h, long dimension)
    {
        if (velocityNorm == 0 || gradientNorm == 0) return KickCoefficients.Unchanged(0.0, 1.0);
        // X ∝ 1 + cosθ, Y ∝ 1 − cosθ (common factor 2|g|²|v|² dropped). Clamp: rounding can push |cos| past 1.
        var cos = Math.Clamp(velocityDotGradient / (velocityNorm * gradientNorm), -1.0, 1.0);
        return FromSquaredLengths(1.0 + cos, 1.0 - cos, velocityNorm, gradientNorm, h, dimension);
    }

    /// <summary>
    /// Kick coefficients computed the most accurate way, from the vectors themselves: y and x are the norms of
    /// |g|v ∓ |v|g (step 2 of §1.2), accurate near θ = 0 and θ = π where cos θ loses digits.
    /// </summary>
    public static KickCoefficients FromVectors(ReadOnlySpan<double> v, ReadOnlySpan<double> g, double h)
    {
        if (v.Length != g.Length) throw new ArgumentException("v and g differ in length");
        double vv = 0, gg = 0;
        for (var i = 0; i < v.Length; i++)
        {
            vv += v[i] * v[i];
            gg += g[i] * g[i];
        }
        double vNorm = Math.Sqrt(vv), gNorm = Math.Sqrt(gg);
        if (vNorm == 0 || gNorm == 0) return KickCoefficients.Unchanged(0.0, 1.0);
        double xx = 0, yy = 0;
        for (var i = 0; i < v.Length; i++)
        {
            // Normalised by |g||v| so that X + Y = 4 exactly in theory; scale does not matter.
            double a = v[i] / vNorm, b = g[i] / gNorm;
            xx += (a + b) * (a + b);
            yy += (a - b) * (a - b);
        }
        return FromSquaredLengths(xx, yy, vNorm, gNorm, h, v.Length);
    }

    /// <summary>The core: X = x², Y = y² (any common scale), k = h|v||g|/(D−1), q = e^{−k}.</summary>
    public static KickCoefficients FromSquaredLengths(double xSquared, double ySquared, double velocityNorm, double gradientNorm, double h, long dimension)
    {
        if (dimension < 2) throw new ArgumentOutOfRangeException(nameof(dimension), "the ray kick needs D ≥ 2; use the HMC kick below that");
        var sum = xSquared + ySquared;
        var cosInitial = (xSquared - ySquared) / sum;
        var pathLength = h * velocityNorm; // Δs
        var k = pathLength * gradientNorm / (dimension - 1);
        if (ySquared == 0 || xSquared == 0)
        {
            // Parallel or exactly antiparallel: v is a fixed point; ΔlnLum = Δs·|g|·cosθ_i = ±(D−1)k.
            return KickCoefficients.Unchanged(pathLength * gradientNorm * cosInitial, cosInitial);
        }
        // ln(X + Y q²) without underflow or overflow: log-add-exp of ln X and ln Y − 2k.
        var logX = Math.Log(xSquared);
        var logYq2 = Math.Log(ySquared) - 2.0 * k;
        var logDenominator = Math.Max(logX, logYq2) + Math.Log(1.0 + Math.Exp(-Math.Abs(logX - logYq2)));
        var logRatio = logDenominator - Math.Log(sum); // ln((X + Yq²)/(X + Y)) = ln(sinθ_i/sinθ_f) − k
        var deltaLogLuminosity = (dimension - 1) * (k + logRatio);
        // f_v = q(X + Y)/(X + Yq²) = e^{−(k + logRatio)}.
        var velocityScale = Math.Exp(-(k + logRatio));
        // cos θ_f = (X − Yq²)/(X + Yq²) = 2X/(X + Yq²) − 1, written with the stable denominator.
        var cosFinal = 2.0 * Math.Exp(logX - logDenominator) - 1.0;
        var normalScale = cosFinal - velocityScale * cosInitial; // f_n, coefficient of |v|·ĝ
        return new KickCoefficients(velocityScale, normalScale * velocityNorm / gradientNorm, deltaLogLuminosity, cosInitial, cosFinal);
    }
}
