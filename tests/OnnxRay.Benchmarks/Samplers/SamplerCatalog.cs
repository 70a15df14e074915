using System.Globalization;
using System.Reflection;
using OnnxRay.Abstractions;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// Finds sampler factories by name among the loaded assemblies and the OnnxRay.Samplers.*.dll next to the benchmark,
/// and binds "key=value" options onto their options objects by <see cref="SamplerOptionAttribute"/> key, so one
/// harness can run any sampler (ray tracing, HMC, a user's plugin).
/// </summary>
public static class SamplerCatalog
{
    public static ISamplerFactory Find(string name)
    {
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory, "OnnxRay.Samplers.*.dll"))
        {
            try { Assembly.LoadFrom(file); }
            catch (BadImageFormatException) { }
        }
        var factories = AppDomain.CurrentDomain.GetAssemblies()
            .SelectMany(a =>
            {
                try { return a.GetTypes(); }
                catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>(); }
            })
            .Where(t => typeof(ISamplerFactory).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (ISamplerFactory)Activator.CreateInstance(t)!)
            .GroupBy(f => f.Name).Select(g => g.First())
            .ToList();
        return factories.FirstOrDefault(f => f.Name == name)
               ?? throw new ArgumentException($"No sampler named '{name}'. Known: {string.Join(", ", factories.Select(f => f.Name))}.");
    }

    /// <summary>Default options of <paramref name="factory"/> with each "key=value" applied.</summary>
    public static SamplerOptions Options(ISamplerFactory factory, IEnumerable<string> assignments)
    {
        var options = factory.CreateDefaultOptions();
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"Option '{assignment}' is not key=value.");
            Set(options, assignment[..eq], assignment[(eq + 1)..]);
        }
        options.ThrowIfInvalid(factory.Name);
        return options;
    }

    public static void Set(SamplerOptions options, string key, string value)
    {
        var property = options.GetType().GetProperties()
            .FirstOrDefault(p => p.GetCustomAttribute<SamplerOptionAttribute>()?.Name == key)
            ?? throw new ArgumentException($"Sampler option '{key}' does not exist on {options.GetType().Name}.");
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        object? parsed = value.Length == 0 || value == "auto" && Nullable.GetUnderlyingType(property.PropertyType) is not null ? null
            : type.IsEnum ? Enum.Parse(type, value.Replace("-", ""), ignoreCase: true)
            : type == typeof(bool) ? bool.Parse(value)
            : Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        property.SetValue(options, parsed);
    }
}
