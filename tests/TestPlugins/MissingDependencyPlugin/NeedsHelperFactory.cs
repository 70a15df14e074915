namespace MissingDependencyPlugin;

public sealed class NeedsHelperFactory : PluginHelper.HelperSamplerFactory
{
    public override string Name => "test-needs-helper";
}
