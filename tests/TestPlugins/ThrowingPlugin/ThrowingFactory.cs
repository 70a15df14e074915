using OnnxRay.Abstractions;

namespace ThrowingPlugin;

public sealed class ThrowingFactory : ISamplerFactory
{
    public ThrowingFactory() => throw new InvalidOperationException("licence file not found");

    public string Name => "test-throwing";
    public string Description => "";
    public Type OptionsType => typeof(NoOptions);
    public SamplerOptions CreateDefaultOptions() => new NoOptions();
    public ISamplerKernel CreateKernel(SamplerOptions options) => throw new NotSupportedException();
}

public sealed class NoOptions : SamplerOptions
{
    public override IEnumerable<string> Validate() => [];
}
