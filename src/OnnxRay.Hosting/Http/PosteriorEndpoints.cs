using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OnnxRay.Hosting.Inputs;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Hosting.Http;

/// <summary>
/// The service's endpoints on any ASP.NET Core host that called <c>AddOnnxRayPosterior</c>:
/// <c>POST /predict</c>, <c>GET /model</c>, <c>GET /healthz</c> (under an optional prefix).
/// </summary>
public static class PosteriorEndpoints
{
    public static RouteGroupBuilder MapOnnxRayPosterior(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        var group = endpoints.MapGroup(prefix);
        var validator = new Lazy<PosteriorInputValidator>(() =>
            PosteriorInputValidator.For(endpoints.ServiceProvider.GetRequiredService<IPosteriorPredictor>().Model));
        group.MapGet("/healthz", (IPosteriorPredictor predictor) =>
            Results.Json(new HealthResponse("ok", predictor.Model.DrawsUsed), HostingJsonContext.Default.HealthResponse));
        group.MapGet("/model", (IPosteriorPredictor predictor) =>
            Results.Json(predictor.Model, HostingJsonContext.Default.PosteriorModelInfo));
        group.MapPost("/predict", (HttpContext context) => Predict(context, validator.Value));
        return group;
    }

    private static async Task Predict(HttpContext context, PosteriorInputValidator validator)
    {
        var services = context.RequestServices;
        var predictor = services.GetRequiredService<IPosteriorPredictor>();
        var maxBytes = services.GetRequiredService<IOptions<OnnxRayPosteriorOptions>>().Value.MaxRequestBytes;
        var cancel = context.RequestAborted;
        // Per endpoint, so a host serving other routes keeps its own limit for them.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes;
        if (context.Request.ContentLength > maxBytes)
        {
            await Error(context, StatusCodes.Status413PayloadTooLarge, "body",
                $"request body of {context.Request.ContentLength} bytes exceeds MaxRequestBytes = {maxBytes}.");
            return;
        }

        PosteriorPrediction prediction;
        try
        {
            Dictionary<string, Onnx.Data.NpyArray> inputs;
            using (var document = await JsonDocument.ParseAsync(context.Request.Body, default, cancel))
                inputs = PredictRequestReader.Read(document.RootElement, validator);
            prediction = await predictor.PredictAsync(inputs, cancel);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(context, e.StatusCode, "body", $"request body exceeds MaxRequestBytes = {maxBytes} bytes.");
            return;
        }
        catch (JsonException e)
        {
            await Error(context, StatusCodes.Status400BadRequest, "body", $"not valid JSON: {e.Message}");
            return;
        }
        catch (PosteriorRequestException e)
        {
            await Error(context, StatusCodes.Status400BadRequest, e.Field, e.Problem);
            return;
        }
        catch (DataMismatchException e)
        {
            // A check the request reader does not make itself (e.g. a model-specific constraint found by the predictor).
            await Error(context, StatusCodes.Status400BadRequest, $"inputs.{e.ArrayName}", e.Message);
            return;
        }
        catch (OnnxRayException e)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PosteriorEndpoints)).LogError(e, "Prediction failed");
            await Error(context, StatusCodes.Status500InternalServerError, "predict", e.Message);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using (var json = new Utf8JsonWriter(context.Response.BodyWriter)) PredictionJsonWriter.Write(json, prediction);
        await context.Response.BodyWriter.FlushAsync(cancel);
    }

    /// <summary>Answers <c>{"error": "FIELD: PROBLEM", "field": "FIELD"}</c>.</summary>
    private static async Task Error(HttpContext context, int status, string field, string problem)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse($"{field}: {problem}", field), HostingJsonContext.Default.ErrorResponse);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        // An unread oversized body cannot be drained, so Kestrel drops the connection after answering; saying so up
        // front stops the client from sending its next request on a connection that is about to close.
        if (status == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close";
        // A known length, not chunked: after a rejected body Kestrel closes the connection, and a chunked answer
        // could lose its terminating chunk.
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }
}
