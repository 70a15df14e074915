using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// Velocity refresh ("scattering", samplers.md §1.5). The Ornstein–Uhlenbeck step v ← e^{−rh}v + √(1−e^{−2rh})ξ
/// is reversible with respect to N(0, I), so it keeps the Metropolis test exact; a full redraw is its r → ∞ limit.
/// </summary>
public static class PartialRefresh
{
    /// <summary>OU scatter over time <paramref name="h"/> at rate <paramref name="rate"/>.</summary>
    public static void Scatter(Span<float> velocity, double rate, double h, ChainRandom random)
    {
        if (rate <= 0 || h == 0) return;
        var keep = Math.Exp(-Math.Abs(rate * h));
        var noise = Math.Sqrt(-double.ExpM1(-2.0 * Math.Abs(rate * h))); // √(1 − e^{−2rh}) without cancellation
        for (var i = 0; i < velocity.Length; i++)
            velocity[i] = (float)(keep * velocity[i] + noise * random.NextGaussian());
    }

    /// <summary>Full redraw v ~ N(0, I).</summary>
    public static void Redraw(Span<float> velocity, ChainRandom random) => random.FillGaussian(velocity);
}
