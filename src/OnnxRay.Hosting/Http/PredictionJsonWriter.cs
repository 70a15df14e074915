using System.Text.Json;
using OnnxRay.Onnx.Prediction;

namespace OnnxRay.Hosting.Http;

/// <summary>
/// Writes a <see cref="PosteriorPrediction"/> as the service's JSON: task, draws, examples, output shape, and one object
/// per example with the task's aggregates (snake_case names as in <c>onnxray predict</c>'s columns). A regression
/// output with one value per example gives numbers; with several, arrays. Written straight to the response buffer.
/// </summary>
public static class PredictionJsonWriter
{
    public static void Write(Utf8JsonWriter json, PosteriorPrediction prediction)
    {
        json.WriteStartObject();
        json.WriteString("task", prediction.Task.ToString().ToLowerInvariant());
        json.WriteNumber("draws", prediction.Draws);
        json.WriteNumber("examples", prediction.Examples);
        json.WriteStartArray("output_shape");
        foreach (var d in prediction.OutputShape) json.WriteNumberValue(d);
        json.WriteEndArray();
        json.WriteStartArray("predictions");
        if (prediction.Classification is { } c) WriteClassification(json, c);
        if (prediction.Regression is { } r) WriteRegression(json, r, prediction.Examples, prediction.ValuesPerExample);
        json.WriteEndArray();
        if (prediction.PerDrawOutputs is { } perDraw)
        {
            var width = perDraw.Length / Math.Max(1, prediction.Draws);
            json.WriteStartArray("per_draw_outputs");
            for (var s = 0; s < prediction.Draws; s++)
            {
                json.WriteStartArray();
                foreach (var v in perDraw.AsSpan(s * width, width)) Number(json, v);
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WriteClassification(Utf8JsonWriter json, ClassificationAggregates c)
    {
        for (var n = 0; n < c.Examples; n++)
        {
            json.WriteStartObject();
            json.WriteStartArray("probabilities");
            foreach (var p in c.ProbabilitiesOf(n)) Number(json, p);
            json.WriteEndArray();
            json.WriteNumber("predicted_class", c.PredictedClass[n]);
            Field(json, "confidence", c.Confidence[n]);
            Field(json, "predictive_entropy", c.PredictiveEntropy[n]);
            Field(json, "expected_entropy", c.ExpectedEntropy[n]);
            Field(json, "mutual_information", c.MutualInformation[n]);
            json.WriteEndObject();
        }
    }

    private static void WriteRegression(Utf8JsonWriter json, RegressionAggregates r, int examples, int width)
    {
        for (var n = 0; n < examples; n++)
        {
            json.WriteStartObject();
            Values(json, "mean", r.Mean, n, width);
            Values(json, "std", r.Std, n, width);
            Values(json, "aleatoric_std", r.AleatoricStd, n, width);
            Values(json, "epistemic_std", r.EpistemicStd, n, width);
            Values(json, "q05", r.Q05, n, width);
            Values(json, "q50", r.Q50, n, width);
            Values(json, "q95", r.Q95, n, width);
            json.WriteEndObject();
        }
    }

    private static void Values(Utf8JsonWriter json, string name, double[] values, int example, int width)
    {
        if (width == 1)
        {
            Field(json, name, values[example]);
            return;
        }
        json.WriteStartArray(name);
        foreach (var v in values.AsSpan(example * width, width)) Number(json, v);
        json.WriteEndArray();
    }

    // JSON has no NaN or infinity; a non-finite aggregate (e.g. from a diverged draw) is sent as null, not as an error.
    private static void Field(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteNullValue();
    }
}
