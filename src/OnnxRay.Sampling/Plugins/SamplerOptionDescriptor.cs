using System.Reflection;

namespace OnnxRay.Sampling.Plugins;

/// <summary>One [SamplerOption] property of a sampler's options class, with its default value.</summary>
/// <param name="Name">The option key (as given to --sampler-option key=value).</param>
/// <param name="Description">Help text.</param>
/// <param name="ValueType">The property type (bool, int, long, double, string, an enum, or a nullable of these).</param>
/// <param name="DefaultValue">The default in invariant text form (null when the default is null).</param>
/// <param name="Property">The reflected property.</param>
public sealed record SamplerOptionDescriptor(string Name, string Description, Type ValueType, string? DefaultValue, PropertyInfo Property)
{
    /// <summary>A short type name for help output: "double", "int", "bool", "one of: a|b|c", ...</summary>
    public string TypeDisplayName => SamplerOptionValues.DisplayName(ValueType);
}
