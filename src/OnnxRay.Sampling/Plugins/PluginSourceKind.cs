namespace OnnxRay.Sampling.Plugins;

/// <summary>Where a plugin search folder came from (also the order in which the catalog searches them).</summary>
public enum PluginSourceKind
{
    /// <summary>The <c>plugins/</c> folder next to the tool's executable (the built-in samplers).</summary>
    BuiltIn,

    /// <summary>A <c>--plugins DIR</c> command-line option.</summary>
    CommandLine,

    /// <summary>An entry of the <c>ONNXRAY_PLUGINS</c> environment variable.</summary>
    Environment,

    /// <summary>Given directly by a host application or test.</summary>
    Explicit,
}
