using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Metropolis;

/// <summary>The "metropolis" sampler plugin: gradient-free random-walk Metropolis with scale and diagonal-shape adaptation.</summary>
public sealed class MetropolisSamplerFactory : SamplerFactory<MetropolisOptions>
{
    public override string Name => "metropolis";

    public override string Description =>
        "Random-walk Metropolis (no gradients): Robbins–Monro scale adaptation to 0.234, optional adaptive diagonal proposal shape, " +
        "optional multiple-try mode (proposals=K) whose K proposals are evaluated in one batch (across the device pool).";

    protected override ISamplerKernel CreateKernel(MetropolisOptions options) => new MetropolisKernel(options);
}
