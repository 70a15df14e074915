using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Velocity refresh ("scattering", samplers.md §1.5). The Ornstein–Uhlenbeck step v ← e^{−rh}v + √(1−e^{−2rh})ξ
/// is reversible with respect to N(0, I), so it keeps the Metropolis test exact; a full redraw is its r → ∞ limit.
/// The kernel applies it through <see cref="PhaseSpace.Scatter"/>, fused with the pending kick.
/// </summary>
public static class PartialRefresh
{
    /// <summary>The OU coefficients (e^{−|rh|}, √(1 − e^{−2|rh|})) of a scatter over time <paramref name="h"/> at rate <paramref name="rate"/>.</summary>
    public static (double Keep, double Noise) Coefficients(double rate, double h)
    {
        var keep = Math.Exp(-Math.Abs(rate * h));
        var noise = Math.Sqrt(-double.ExpM1(-2.0 * Math.Abs(rate * h))); // √(1 − e^{−2rh}) without cancellation
        return (keep, noise);
    }

    /// <summary>OU scatter over time <paramref name="h"/> at rate <paramref name="rate"/>.</summary>
    public static void Scatter(Span<float> velocity, double rate, double h, ChainRandom random)
    {
        if (rate <= 0 || h == 0) return;
        var (keep, noise) = Coefficients(rate, h);
        RayVectorOps.KickScatterReduce(velocity, default, kick: false, 0, 0, keep, noise, random, reduce: false);
    }

    /// <summary>Full redraw v ~ N(0, I).</summary>
    public static void Redraw(Span<float> velocity, ChainRandom random) => random.FillGaussian(velocity);
}
