using OnnxRay.Abstractions;

namespace PluginHelper;

/// <summary>A base factory class living in a separate assembly.</summary>
public abstract class HelperSamplerFactory : ISamplerFactory
{
    public abstract string Name { get; }
    public string Description => "Needs PluginHelper.dll.";
    public Type OptionsType => typeof(HelperOptions);
    public SamplerOptions CreateDefaultOptions() => new HelperOptions();
    public ISamplerKernel CreateKernel(SamplerOptions options) => throw new NotSupportedException();
}

public sealed class HelperOptions : SamplerOptions
{
    public override IEnumerable<string> Validate() => [];
}
