namespace OnnxRay.Abstractions;

/// <summary>
/// Version of the plugin contract. A plugin compiled against a different major version is refused
/// by the catalog (it compares the plugin's reference to this assembly against <see cref="Version"/>).
/// </summary>
public static class SamplerContract
{
    /// <summary>Major contract version; equals this assembly's AssemblyVersion major number.</summary>
    public const int Version = 1;
}
