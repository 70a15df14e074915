using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OnnxRay.Onnx.Data;

namespace OnnxRay.Hosting.Tests.Support;

/// <summary>Builds <c>POST /predict</c> bodies and reads answers.</summary>
public static class PredictRequests
{
    /// <summary><c>{"inputs": {NAME: {"shape": [...], "data": [...]}}}</c> for real arrays.</summary>
    public static string Body(IReadOnlyDictionary<string, NpyArray> inputs)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("inputs");
            foreach (var (name, array) in inputs)
            {
                json.WriteStartObject(name);
                json.WriteStartArray("shape");
                foreach (var d in array.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data");
                foreach (var v in array.ToFloats()) json.WriteNumberValue(v);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The first <paramref name="rows"/> rows of array <paramref name="name"/> of an .npz file, as float32.</summary>
    public static NpyArray Rows(string npzPath, string name, int rows)
    {
        var array = NpzFile.Read(npzPath)[name];
        var row = (int)(array.ElementCount / array.Shape[0]);
        var data = array.ToFloats().AsSpan(0, rows * row).ToArray();
        return NpyArray.FromFloats(data, [rows, .. array.Shape.Skip(1)]);
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<(int Status, JsonElement Body)> PostAsync(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/predict", Json(body));
        return ((int)response.StatusCode, await ReadJson(response));
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(200, (int)response.StatusCode);
        return await ReadJson(response);
    }

    public static async Task<JsonElement> ReadJson(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json",
            $"expected a JSON answer, got {response.Content.Headers.ContentType}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Content whose length is not known up front, so it goes out chunked and only Kestrel's body limit can stop it.</summary>
    public sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    public static MediaTypeHeaderValue JsonType => new("application/json");
}
