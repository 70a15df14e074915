using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Hmc;

/// <summary>The "hmc" sampler plugin: static-length HMC with a diagonal metric, and its stochastic-gradient variants.</summary>
public sealed class HmcSamplerFactory : SamplerFactory<HmcOptions>
{
    public override string Name => "hmc";

    public override string Description =>
        "Hamiltonian Monte Carlo: leapfrog, diagonal metric, dual-averaging step size and windowed metric adaptation; SGHMC for minibatch densities.";

    protected override ISamplerKernel CreateKernel(HmcOptions options) => new HmcKernel(options);
}
