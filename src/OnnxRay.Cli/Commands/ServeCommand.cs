using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OnnxRay.Hosting;
using OnnxRay.Hosting.Http;

namespace OnnxRay.Cli.Commands;

/// <summary>
/// <c>onnxray serve RUN/ --urls http://127.0.0.1:PORT [--draws M]</c>: the posterior predictive as an HTTP service
/// (<c>POST /predict</c>, <c>GET /model</c>, <c>GET /healthz</c>) on the same library a host gets from AddOnnxRayPosterior.
/// A run folder that fails its checksums stops the start with an error naming the file.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder written by 'onnxray sample'." };
        var urls = new Option<string>("--urls")
        {
            Description = "Addresses to listen on, ';'-separated (port 0 picks a free one).",
            DefaultValueFactory = _ => "http://127.0.0.1:5000",
        };
        var draws = new Option<int?>("--draws") { Description = "Use M draws, evenly thinned over all chains (default: all)." };
        var parallelism = new Option<int>("--parallelism") { Description = "Draws evaluated at once per request.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var batch = new Option<int>("--batch-size") { Description = "Examples per forward pass.", DefaultValueFactory = _ => 256 };
        var maxBytes = new Option<long>("--max-request-bytes") { Description = "Largest accepted request body.", DefaultValueFactory = _ => new OnnxRayPosteriorOptions().MaxRequestBytes };
        var perDraw = new Option<bool>("--per-draw-outputs") { Description = "Also return every draw's raw output." };
        var device = SharedOptions.Device();
        var threads = SharedOptions.Threads();
        var command = new Command("serve", "Serve posterior predictions over HTTP: POST /predict, GET /model, GET /healthz.")
        {
            run, urls, draws, parallelism, batch, maxBytes, perDraw, device, threads,
        };
        command.SetAction(parse => CliAction.Run(() => Serve(parse.GetValue(urls)!, options =>
        {
            options.RunFolder = parse.GetValue(run)!;
            options.MaxDraws = parse.GetValue(draws);
            options.Parallelism = parse.GetValue(parallelism);
            options.BatchSize = parse.GetValue(batch);
            options.MaxRequestBytes = parse.GetValue(maxBytes);
            options.KeepPerDrawOutputs = parse.GetValue(perDraw);
            options.Device = parse.GetValue(device)!;
            options.IntraOpThreads = parse.GetValue(threads);
        })));
        return command;
    }

    private static int Serve(string urls, Action<OnnxRayPosteriorOptions> configure)
    {
        using var app = PosteriorWebService.Build(configure, urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (OptionsValidationException e)
        {
            throw new CliUsageException(string.Join(" ", e.Failures));
        }
        var model = app.Services.GetRequiredService<IPosteriorPredictor>().Model;
        // One line a script (or a test) can wait for: the real addresses, after port 0 is resolved.
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            Console.WriteLine($"onnxray serve: listening on {address} ({model.Task}, {model.DrawsUsed} draws)");
        app.WaitForShutdownAsync().GetAwaiter().GetResult();
        return 0;
    }
}
