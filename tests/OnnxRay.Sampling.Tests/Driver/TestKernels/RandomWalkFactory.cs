using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Tests.Driver.TestKernels;

/// <summary>Factory of the test random-walk kernel.</summary>
public sealed class RandomWalkFactory : SamplerFactory<RandomWalkOptions>
{
    public override string Name => "test-random-walk";
    public override string Description => "Random-walk Metropolis for driver tests.";
    protected override ISamplerKernel CreateKernel(RandomWalkOptions options) => new RandomWalkKernel(options);
}
