namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The result of one ray-tracing kick in closed form: the new velocity is
/// v' = <see cref="VelocityScale"/>·v + <see cref="GradientScale"/>·g, and the kick changes the log-luminosity by
/// <see cref="DeltaLogLuminosity"/> (the Jacobian term of the Metropolis test).
/// </summary>
/// <param name="VelocityScale">f_v = sinθ_f / sinθ_i.</param>
/// <param name="GradientScale">f_n·|v|/|g|, the coefficient of the raw gradient g.</param>
/// <param name="DeltaLogLuminosity">(D−1)·ln(sinθ_i/sinθ_f), or ±Δs|g| in the parallel/antiparallel limit.</param>
/// <param name="CosInitial">cos θ_i, the cosine between v and g before the kick.</param>
/// <param name="CosFinal">cos θ_f, the cosine between v and g after the kick.</param>
public readonly record struct KickCoefficients(
    double VelocityScale, double GradientScale, double DeltaLogLuminosity, double CosInitial, double CosFinal)
{
    /// <summary>A kick that leaves v unchanged but still contributes <paramref name="deltaLogLuminosity"/>.</summary>
    public static KickCoefficients Unchanged(double deltaLogLuminosity, double cos) => new(1.0, 0.0, deltaLogLuminosity, cos, cos);

    /// <summary>True when applying the coefficients would not change v.</summary>
    public bool LeavesVelocityUnchanged => VelocityScale == 1.0 && GradientScale == 0.0;
}
