namespace OnnxRay.Abstractions;

/// <summary>
/// The entry point of a sampler plugin. The catalog instantiates every public non-abstract implementation
/// with a public parameterless constructor found in a plugin assembly.
/// </summary>
public interface ISamplerFactory
{
    /// <summary>Unique sampler name used on the command line (e.g. "raytracing").</summary>
    string Name { get; }

    /// <summary>One-line description shown by <c>onnxray plugins</c>.</summary>
    string Description { get; }

    /// <summary>The options class; its public settable properties marked with <see cref="SamplerOptionAttribute"/> are the options.</summary>
    Type OptionsType { get; }

    /// <summary>A new options object holding the defaults.</summary>
    SamplerOptions CreateDefaultOptions();

    /// <summary>Creates a kernel. <paramref name="options"/> is of <see cref="OptionsType"/> and already validated.</summary>
    ISamplerKernel CreateKernel(SamplerOptions options);
}

/// <summary>Typed base for factories: implements the untyped members over <typeparamref name="TOptions"/>.</summary>
public abstract class SamplerFactory<TOptions> : ISamplerFactory where TOptions : SamplerOptions, new()
{
    public abstract string Name { get; }
    public abstract string Description { get; }
    public Type OptionsType => typeof(TOptions);
    public SamplerOptions CreateDefaultOptions() => new TOptions();

    public ISamplerKernel CreateKernel(SamplerOptions options)
    {
        if (options is not TOptions typed)
            throw new ArgumentException($"Sampler '{Name}' expects options of type {typeof(TOptions).Name}, got {options?.GetType().Name ?? "null"}.", nameof(options));
        typed.ThrowIfInvalid(Name);
        return CreateKernel(typed);
    }

    protected abstract ISamplerKernel CreateKernel(TOptions options);
}
