using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// One integration step of each splitting (samplers.md §1.4). Kicks reuse the cached gradient whenever the
/// position has not moved since the last evaluation, which fuses adjacent kicks: KDK and DKD cost one gradient per
/// step in a run of equal steps, Omelyan two.
/// </summary>
internal static class Integrators
{
    /// <summary>λ of the minimal-norm second-order Omelyan splitting.</summary>
    public const double OmelyanLambda = 0.1931833275037836;

    /// <summary>Advances <paramref name="space"/> by one step of size <paramref name="dt"/>.</summary>
    public static void Step(PhaseSpace space, IntegratorKind kind, double dt, ChainRandom random)
    {
        if (kind == IntegratorKind.RandomKdkDkd)
            kind = random.NextDouble() < 0.5 ? IntegratorKind.Kdk : IntegratorKind.Dkd;
        switch (kind)
        {
            case IntegratorKind.Kdk:
                space.Kick(dt / 2);
                space.Drift(dt);
                space.Kick(dt / 2);
                break;
            case IntegratorKind.Dkd:
                space.Drift(dt / 2);
                space.Kick(dt);
                space.Drift(dt / 2);
                break;
            case IntegratorKind.Omelyan:
                space.Kick(OmelyanLambda * dt);
                space.Drift(dt / 2);
                space.Kick((1 - 2 * OmelyanLambda) * dt);
                space.Drift(dt / 2);
                space.Kick(OmelyanLambda * dt);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "resolve Auto before integrating");
        }
    }
}
