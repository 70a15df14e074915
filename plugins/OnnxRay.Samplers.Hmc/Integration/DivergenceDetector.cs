namespace OnnxRay.Samplers.Hmc.Integration;

/// <summary>
/// Divergence rule (Stan): a trajectory diverges when its energy rises more than a threshold above the start,
/// or when the density or energy stops being finite. Divergences are rejected and counted as a diagnostic.
/// </summary>
internal readonly struct DivergenceDetector(double maxEnergyError)
{
    public double MaxEnergyError { get; } = maxEnergyError;

    /// <summary>True when the energy <paramref name="hamiltonian"/> has diverged from <paramref name="initialHamiltonian"/>.</summary>
    public bool IsDivergent(double initialHamiltonian, double hamiltonian) =>
        !double.IsFinite(hamiltonian) || hamiltonian - initialHamiltonian > MaxEnergyError;

    /// <summary>
    /// Mid-trajectory check without a kinetic-energy pass: H ≥ U = −log p because K ≥ 0, so once the potential alone
    /// exceeds H₀ + threshold the trajectory has certainly diverged and the remaining gradients can be saved.
    /// </summary>
    public bool PotentialShowsDivergence(double initialHamiltonian, double logDensity) =>
        !double.IsFinite(logDensity) || -logDensity - initialHamiltonian > MaxEnergyError;
}
