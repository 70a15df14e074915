using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OnnxRay.Hosting.Http;

namespace OnnxRay.Hosting.Tests.Support;

/// <summary>The real Kestrel service from the library, in this process, on a free loopback port.</summary>
public sealed class ServiceInstance : IAsyncDisposable
{
    private ServiceInstance(WebApplication app, Uri address)
    {
        App = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public IPosteriorPredictor Predictor => App.Services.GetRequiredService<IPosteriorPredictor>();

    public static async Task<ServiceInstance> StartAsync(Action<OnnxRayPosteriorOptions> configure)
    {
        var app = PosteriorWebService.Build(configure, ["http://127.0.0.1:0"], logging => logging.ClearProviders());
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new ServiceInstance(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
