using OnnxRay.Abstractions;

namespace FutureContractPlugin;

public sealed class FutureFactory : ISamplerFactory
{
    public string Name => "test-future";
    public string Description => "Built for contract version 2.";
    public object CreateKernelV2(IReadOnlyDictionary<string, string> options) => new object();
}
