using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OnnxRay.Hosting.Http;

/// <summary>
/// The stand-alone prediction service behind <c>onnxray serve</c>: a slim Kestrel host with the posterior predictor and
/// its endpoints, Kestrel's MaxRequestBodySize taken from <see cref="OnnxRayPosteriorOptions.MaxRequestBytes"/>.
/// </summary>
public static class PosteriorWebService
{
    /// <param name="configure">Sets the predictor options (validated when the app starts).</param>
    /// <param name="urls">Addresses to listen on, e.g. http://127.0.0.1:5000 (port 0 picks a free one).</param>
    /// <param name="configureLogging">Adjusts logging (default: console, ASP.NET Core's per-request logs off).</param>
    public static WebApplication Build(Action<OnnxRayPosteriorOptions> configure, IEnumerable<string> urls,
        Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Not the caller's working directory: a stray appsettings.json there must not reconfigure the service.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls(urls.ToArray());
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddOnnxRayPosterior(configure);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<OnnxRayPosteriorOptions>>((kestrel, posterior) =>
            kestrel.Limits.MaxRequestBodySize = posterior.Value.MaxRequestBytes);
        var app = builder.Build();
        app.MapOnnxRayPosterior();
        return app;
    }
}
