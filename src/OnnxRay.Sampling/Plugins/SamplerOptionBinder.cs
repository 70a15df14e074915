using System.Reflection;
using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Plugins;

/// <summary>
/// Binds user text (<c>key=value</c> pairs or a configuration dictionary) onto a sampler's options object
/// by [SamplerOption] name, then validates it. Every error is a <see cref="SamplerOptionsException"/> that names
/// the sampler and the option and lists the valid options.
/// </summary>
public static class SamplerOptionBinder
{
    /// <summary>The [SamplerOption] properties of an options type, with the defaults of a fresh instance.</summary>
    public static IReadOnlyList<SamplerOptionDescriptor> Describe(ISamplerFactory factory)
    {
        var defaults = factory.CreateDefaultOptions();
        return Describe(factory.OptionsType, defaults);
    }

    /// <summary>The [SamplerOption] properties of <paramref name="optionsType"/>, with values read from <paramref name="instance"/>.</summary>
    public static IReadOnlyList<SamplerOptionDescriptor> Describe(Type optionsType, object instance)
    {
        var list = new List<SamplerOptionDescriptor>();
        foreach (var property in optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var attribute = property.GetCustomAttribute<SamplerOptionAttribute>();
            if (attribute is null) continue;
            list.Add(new SamplerOptionDescriptor(attribute.Name, attribute.Description, property.PropertyType,
                SamplerOptionValues.Format(property.GetValue(instance)), property));
        }
        return list;
    }

    /// <summary>The current values of every option as invariant text (null values included), in declaration order.</summary>
    public static IReadOnlyDictionary<string, string?> ToDictionary(SamplerOptions options)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var option in Describe(options.GetType(), options)) result[option.Name] = option.DefaultValue;
        return result;
    }

    /// <summary>Parses <c>key=value</c> strings and binds them onto a fresh default options object, then validates.</summary>
    public static SamplerOptions Bind(ISamplerFactory factory, IEnumerable<string> keyValuePairs)
    {
        var pairs = new List<KeyValuePair<string, string?>>();
        foreach (var item in keyValuePairs)
        {
            var eq = item.IndexOf('=');
            if (eq <= 0)
                throw new SamplerOptionsException(factory.Name,
                    [$"'{item}' is not of the form key=value. {ValidOptionsText(factory)}"]);
            pairs.Add(new(item[..eq].Trim(), item[(eq + 1)..]));
        }
        return Bind(factory, pairs);
    }

    /// <summary>
    /// Binds a configuration dictionary (key → text) onto a fresh default options object, then validates.
    /// Keys match option names case-insensitively; a null value sets a nullable option to null.
    /// </summary>
    public static SamplerOptions Bind(ISamplerFactory factory, IEnumerable<KeyValuePair<string, string?>> values)
    {
        var options = factory.CreateDefaultOptions();
        if (options.GetType() != factory.OptionsType && !factory.OptionsType.IsInstanceOfType(options))
            throw new SamplerOptionsException(factory.Name, [$"CreateDefaultOptions returned {options.GetType().Name}, expected {factory.OptionsType.Name}."]);
        var descriptors = Describe(factory.OptionsType, options);
        var problems = new List<string>();
        foreach (var (key, text) in values)
        {
            var option = descriptors.FirstOrDefault(d => d.Name.Equals(key, StringComparison.OrdinalIgnoreCase));
            if (option is null)
            {
                problems.Add($"unknown option '{key}'. {ValidOptionsText(descriptors)}");
                continue;
            }
            if (text is null)
            {
                if (Nullable.GetUnderlyingType(option.ValueType) is null && option.ValueType.IsValueType)
                    problems.Add($"option '{option.Name}' needs a value of type {option.TypeDisplayName}.");
                else option.Property.SetValue(options, null);
                continue;
            }
            if (!SamplerOptionValues.TryParse(text, option.ValueType, out var value))
            {
                problems.Add($"option '{option.Name}': '{text}' is not a valid {option.TypeDisplayName}.");
                continue;
            }
            option.Property.SetValue(options, value);
        }
        if (problems.Count > 0) throw new SamplerOptionsException(factory.Name, problems);
        options.ThrowIfInvalid(factory.Name);
        return options;
    }

    private static string ValidOptionsText(ISamplerFactory factory) => ValidOptionsText(Describe(factory));

    private static string ValidOptionsText(IReadOnlyList<SamplerOptionDescriptor> descriptors) =>
        descriptors.Count == 0
            ? "This sampler has no options."
            : "Valid options: " + string.Join(", ", descriptors.Select(d => $"{d.Name} ({d.TypeDisplayName}, default {d.DefaultValue ?? "none"})")) + ".";
}
