using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OnnxRay.Hosting;

/// <summary>
/// Opens the predictor while the host starts (after options validation), so a run folder that fails its checksums
/// stops the host from starting instead of failing the first request.
/// </summary>
internal sealed class PosteriorStartupCheck(IServiceProvider services, ILogger<PosteriorStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var predictor = services.GetRequiredService<IPosteriorPredictor>();
        var model = predictor.Model;
        logger.LogInformation("OnnxRay posterior ready: {RunFolder}, {Task}, {Draws} of {Available} draws, inputs {Inputs}",
            model.RunFolder, model.Task, model.DrawsUsed, model.DrawsAvailable, string.Join(", ", model.Inputs.Select(i => i.Name)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
