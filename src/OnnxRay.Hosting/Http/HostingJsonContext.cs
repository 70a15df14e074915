using System.Text.Json.Serialization;

namespace OnnxRay.Hosting.Http;

/// <summary>Source-generated serializers (snake_case) for the service's fixed-shape responses.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PosteriorModelInfo))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class HostingJsonContext : JsonSerializerContext;

/// <summary>The body of every 4xx/5xx answer: the field at fault (or "body") and a message that starts with it.</summary>
public sealed record ErrorResponse(string Error, string Field);

/// <summary>The body of <c>GET /healthz</c>.</summary>
public sealed record HealthResponse(string Status, int Draws);
