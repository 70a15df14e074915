using OnnxRay.Abstractions;

namespace GoodPlugin;

public sealed class GoodSamplerFactory : SamplerFactory<GoodOptions>
{
    public override string Name => "test-good";
    public override string Description => "A working random-walk Metropolis test plugin.";
    protected override ISamplerKernel CreateKernel(GoodOptions options) => new GoodKernel(options);
}
