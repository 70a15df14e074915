namespace OnnxRay.Abstractions;

/// <summary>
/// Base of every sampler's options class: plain settable properties marked with <see cref="SamplerOptionAttribute"/>
/// (types: bool, int, long, double, string, enums, nullable of these), validated by <see cref="Validate"/>.
/// </summary>
public abstract class SamplerOptions
{
    /// <summary>Returns one message per invalid option; each message names the option key.</summary>
    public abstract IEnumerable<string> Validate();

    /// <summary>Throws <see cref="SamplerOptionsException"/> listing every problem found by <see cref="Validate"/>.</summary>
    public void ThrowIfInvalid(string samplerName)
    {
        var problems = Validate().ToList();
        if (problems.Count > 0) throw new SamplerOptionsException(samplerName, problems);
    }
}

/// <summary>Invalid sampler options; <see cref="Problems"/> name each offending option.</summary>
public sealed class SamplerOptionsException(string samplerName, IReadOnlyList<string> problems)
    : Exception($"Invalid options for sampler '{samplerName}': {string.Join("; ", problems)}")
{
    public string SamplerName { get; } = samplerName;
    public IReadOnlyList<string> Problems { get; } = problems;
}
