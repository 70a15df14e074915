using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OnnxRay.Hosting;

/// <summary>Registers a run folder's posterior predictor in a generic or ASP.NET Core host.</summary>
public static class OnnxRayPosteriorServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPosteriorPredictor"/> (a thread-safe singleton) configured in code. The options are validated
    /// and the run folder opened and checksum-verified when the host starts; either failure stops the start.
    /// </summary>
    public static IServiceCollection AddOnnxRayPosterior(this IServiceCollection services, Action<OnnxRayPosteriorOptions> configure)
    {
        services.AddOptions<OnnxRayPosteriorOptions>().Configure(configure).ValidateOnStart();
        return AddCore(services, $"{nameof(OnnxRayPosteriorOptions)}.");
    }

    /// <summary>
    /// Registers <see cref="IPosteriorPredictor"/> with options bound from a configuration section (e.g.
    /// <c>builder.Configuration.GetSection(OnnxRayPosteriorOptions.DefaultSectionName)</c>); messages name the keys
    /// by their configuration path.
    /// </summary>
    public static IServiceCollection AddOnnxRayPosterior(this IServiceCollection services, IConfiguration section)
    {
        services.AddOptions<OnnxRayPosteriorOptions>().Bind(section).ValidateOnStart();
        var prefix = section is IConfigurationSection s && s.Path.Length > 0 ? s.Path + ":" : $"{nameof(OnnxRayPosteriorOptions)}.";
        return AddCore(services, prefix);
    }

    private static IServiceCollection AddCore(IServiceCollection services, string optionPrefix)
    {
        services.AddSingleton<IValidateOptions<OnnxRayPosteriorOptions>>(new OnnxRayPosteriorOptionsValidator(optionPrefix));
        services.TryAddSingleton<IPosteriorPredictor>(sp =>
            RunFolderPosteriorPredictor.Open(sp.GetRequiredService<IOptions<OnnxRayPosteriorOptions>>().Value));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PosteriorStartupCheck>());
        return services;
    }
}
