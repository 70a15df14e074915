namespace OnnxRay.Samplers.RayTracing;

/// <summary>The time-symmetric splitting used for one integration step (samplers.md §1.4).</summary>
public enum IntegratorKind
{
    /// <summary>Omelyan for exact densities (best ESS per gradient), R(KDK,DKD) for stochastic ones (paper's choice).</summary>
    Auto,

    /// <summary>K(dt/2) Dr(dt) K(dt/2): one gradient per step; without a test biased towards lower L.</summary>
    Kdk,

    /// <summary>Dr(dt/2) K(dt) Dr(dt/2): one gradient per step; without a test biased towards higher L.</summary>
    Dkd,

    /// <summary>KDK or DKD chosen with probability ½ each step: cancels most of the bias.</summary>
    RandomKdkDkd,

    /// <summary>Minimal-norm second-order Omelyan splitting, two gradients per step.</summary>
    Omelyan,
}
