namespace OnnxRay.Abstractions;

/// <summary>Marks a property of a <see cref="SamplerOptions"/> class as a user-settable option.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SamplerOptionAttribute(string name, string description) : Attribute
{
    /// <summary>The key used in <c>--sampler-option key=value</c> and in configuration (kebab-case).</summary>
    public string Name { get; } = name;

    /// <summary>Help text shown by <c>onnxray plugins</c>.</summary>
    public string Description { get; } = description;
}
