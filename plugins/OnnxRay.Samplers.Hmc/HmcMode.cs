namespace OnnxRay.Samplers.Hmc;

/// <summary>Which transition the HMC kernel runs.</summary>
public enum HmcMode
{
    /// <summary><see cref="Hmc"/> for exact densities, <see cref="Sghmc"/> for minibatch (stochastic) densities.</summary>
    Auto,

    /// <summary>Leapfrog trajectory with a Metropolis test on −ΔH (exact end-point energies, also for minibatch densities).</summary>
    Hmc,

    /// <summary>Stochastic-gradient HMC (Chen, Fox &amp; Guestrin 2014): friction C and injected noise N(0, 2Cε), no accept test.</summary>
    Sghmc,

    /// <summary>
    /// "Naive" stochastic HMC, the ray tracing paper's baseline: leapfrog with minibatch gradients, no friction, no test,
    /// momentum redrawn when pᵀM⁻¹p exceeds a multiple of D.
    /// </summary>
    Naive,
}
