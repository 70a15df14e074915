namespace OnnxRay.Abstractions;

/// <summary>What one transition of a kernel did; the driver writes one row of these per draw.</summary>
public readonly record struct StepInfo
{
    /// <summary>The proposal was accepted (always true for kernels without an accept test).</summary>
    public bool Accepted { get; init; }

    /// <summary>min(1, e^{log α}) of the accept test, or 1 when there is none.</summary>
    public double AcceptanceProbability { get; init; }

    /// <summary>log p at the position after the step (exact value where the kernel computed one).</summary>
    public double LogDensity { get; init; }

    /// <summary>Step size used in this transition (dt, ε or σ, in the kernel's own units).</summary>
    public double StepSize { get; init; }

    /// <summary>Energy error: ΔH for HMC, ΔlnL − ΔlnLum for ray tracing, ΔlnL for random-walk Metropolis.</summary>
    public double EnergyError { get; init; }

    /// <summary>Number of integration steps in this transition.</summary>
    public int IntegrationSteps { get; init; }

    /// <summary>Gradient evaluations spent in this transition.</summary>
    public int GradientEvaluations { get; init; }

    /// <summary>Density evaluations without a gradient spent in this transition.</summary>
    public int DensityEvaluations { get; init; }

    /// <summary>The trajectory diverged (energy error above the kernel's threshold, or a non-finite density).</summary>
    public bool Divergent { get; init; }

    /// <summary>
    /// The Hamiltonian H = −log p + kinetic energy of the state the chain holds after this transition (Stan's
    /// energy__), from which diagnostics compute E-BFMI; null for kernels without a Hamiltonian. Added in contract
    /// version 1 without breaking it: plugins built before it leave it null.
    /// </summary>
    public double? Energy { get; init; }
}
