using OnnxRay.Abstractions;

namespace DuplicatePlugin;

/// <summary>Claims the name GoodPlugin already uses.</summary>
public sealed class ClashingFactory : SamplerFactory<SiblingOptions>
{
    public override string Name => "test-good";
    public override string Description => "An impostor.";
    protected override ISamplerKernel CreateKernel(SiblingOptions options) => throw new NotSupportedException();
}

/// <summary>A sampler with a unique name in the same assembly: it must still load.</summary>
public sealed class SiblingFactory : SamplerFactory<SiblingOptions>
{
    public override string Name => "test-duplicate-sibling";
    public override string Description => "Loads despite its sibling's clash.";
    protected override ISamplerKernel CreateKernel(SiblingOptions options) => throw new NotSupportedException();
}

public sealed class SiblingOptions : SamplerOptions
{
    public override IEnumerable<string> Validate() => [];
}
