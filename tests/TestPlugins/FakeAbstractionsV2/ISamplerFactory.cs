namespace OnnxRay.Abstractions;

/// <summary>A changed contract: version 2 of the factory interface.</summary>
public interface ISamplerFactory
{
    string Name { get; }
    string Description { get; }
    object CreateKernelV2(IReadOnlyDictionary<string, string> options);
}
