using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Prediction;
using OnnxRay.Onnx.Prediction.Aggregation;
using OnnxRay.Testing;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>
/// The predictor's two ways of running draws (one shared session with the weights as inputs; one resident session per
/// draw with the weights as constants) against a plain ORT session of the model holding each draw's weights; results
/// independent of parallelism and of the output waves; no θ-sized allocation per draw.
/// </summary>
public sealed class PosteriorPredictorTests
{
    private sealed record Case(string Model, string Data, string Likelihood);

    private static readonly Case Digits = new("digits_cnn", "digits", "categorical");
    private static readonly Case Boston = new("boston_mlp", "boston", "gaussian:0.5");

    private static OnnxModel Load(Case c) => ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, c.Model + ".onnx")));

    private static Dictionary<string, NpyArray> Rows(Case c, int rows)
    {
        var x = NpzFile.Read(Path.Combine(RepositoryPaths.Models, "data", c.Data, "test.npz"))["x"];
        var row = (int)(x.ElementCount / x.Shape[0]);
        return new() { ["x"] = NpyArray.FromFloats(x.ToFloats().AsSpan(0, rows * row).ToArray(), [rows, .. x.Shape.Skip(1)]) };
    }

    /// <summary><paramref name="count"/> distinct draws around the model's own weights (fixed seed).</summary>
    private static InMemoryDraws Draws(OnnxModel model, ParameterLayout layout, int count)
    {
        var theta = layout.ReadInitialTheta(model);
        var random = new Random(11);
        return new InMemoryDraws(Enumerable.Range(0, count)
            .Select(_ => theta.Select(v => v + 0.05f * (float)(random.NextDouble() - 0.5)).ToArray()).ToList());
    }

    private static PosteriorPredictor Predictor(Case c, OnnxModel model, ParameterLayout layout, PredictorOptions options) =>
        PosteriorPredictor.Create(model, layout, DensityOptions.Parse(c.Likelihood, "none").Likelihood, null, options);

    /// <summary>Draw s's output from a plain session of the model with θ_s written into its initializers.</summary>
    private static float[] PlainForward(OnnxModel model, ParameterLayout layout, float[] theta, NpyArray x)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(layout.WithTheta(model, theta).Proto.ToByteArray(), options);
        using var input = OrtValue.CreateTensorValueFromMemory((float[])x.Data, x.Shape);
        using var result = session.Run(new RunOptions(), [session.InputMetadata.Keys.Single()], [input], [session.OutputMetadata.Keys.First()]);
        return result[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Theory]
    [InlineData("digits_cnn", false, 1)]
    [InlineData("digits_cnn", true, 1)]
    [InlineData("digits_cnn", true, 8)] // 5 draws, 2 workers: sessions of 3 and 2 draws, first Conv batched
    [InlineData("digits_cnn", true, 8, false)] // the same as renamed copies
    [InlineData("boston_mlp", false, 1)]
    [InlineData("boston_mlp", true, 1)]
    [InlineData("boston_mlp", true, 2)] // sessions of 2, 2 and 1 draws
    public void Every_draws_output_is_the_plain_forward_of_the_model_holding_that_draw(string modelName, bool resident, int drawsPerSession,
        bool batch = true)
    {
        var c = modelName == Digits.Model ? Digits : Boston;
        var model = Load(c);
        var layout = ParameterLayout.FromModel(model);
        var draws = Draws(model, layout, 5);
        var x = Rows(c, 9);
        using var predictor = Predictor(c, model, layout, new PredictorOptions
        {
            KeepPerDrawOutputs = true, Parallelism = 2, ResidentDrawBudgetBytes = resident ? 1L << 30 : 0, ResidentDrawsPerSession = drawsPerSession,
            BatchResidentDraws = batch,
        });
        Assert.Equal(resident, predictor.UseResidentDraws(draws));

        var result = predictor.Predict(x, draws);
        var perDraw = result.PerDrawOutputs!;
        var length = perDraw.Length / draws.Count;
        for (var s = 0; s < draws.Count; s++)
        {
            var theta = new float[draws.Dimension];
            draws.Read(s, theta);
            var expected = PlainForward(model, layout, theta, x["x"]);
            Assert.Equal(expected.Length, length);
            for (var i = 0; i < length; i++)
                Assert.True(Math.Abs(expected[i] - perDraw[s * length + i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])),
                    $"draw {s}, output {i}: predictor {perDraw[s * length + i]}, plain forward {expected[i]}");
        }
        // Distinct draws give distinct outputs (the draw really reached the weights).
        Assert.NotEqual(perDraw.AsSpan(0, length).ToArray(), perDraw.AsSpan(length, length).ToArray());
    }

    [Fact]
    public void Results_are_bit_identical_for_any_parallelism_and_output_wave_size()
    {
        var model = Load(Digits);
        var layout = ParameterLayout.FromModel(model);
        var draws = Draws(model, layout, 8);
        var x = Rows(Digits, 6);
        using var sequential = Predictor(Digits, model, layout, new PredictorOptions { Parallelism = 1 });
        using var parallel = Predictor(Digits, model, layout, new PredictorOptions { Parallelism = 3 });
        // 6 examples × 10 classes per draw; a 3-draw buffer means waves of 3, 3 and 2 draws.
        using var waves = Predictor(Digits, model, layout, new PredictorOptions { Parallelism = 2, WaveBufferFloats = 3 * 60 });

        var a = sequential.Predict(x, draws).Classification!;
        foreach (var other in new[] { parallel.Predict(x, draws).Classification!, waves.Predict(x, draws).Classification! })
        {
            Assert.Equal(a.LogProbabilities, other.LogProbabilities);
            Assert.Equal(a.ExpectedEntropy, other.ExpectedEntropy);
        }
    }

    /// <summary>
    /// Renamed copies give the same bits as one session per draw; batched first layers run other GEMM shapes (the group
    /// size follows the parallelism), so they agree to float rounding.
    /// </summary>
    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 1e-6)]
    public void Resident_draws_grouped_per_session_match_one_session_per_draw_for_any_parallelism_and_wave(bool batch, double tolerance)
    {
        var model = Load(Digits);
        var layout = ParameterLayout.FromModel(model);
        var draws = Draws(model, layout, 11);
        var x = Rows(Digits, 6);
        ClassificationPrediction Predict(PredictorOptions options)
        {
            using var predictor = Predictor(Digits, model, layout, options with { ResidentDrawBudgetBytes = 1L << 30, BatchResidentDraws = batch });
            Assert.True(predictor.UseResidentDraws(draws));
            return predictor.Predict(x, draws).Classification!;
        }
        void Close(double[] expected, double[] actual)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{i}: {actual[i]} vs {expected[i]}");
        }

        var single = Predict(new PredictorOptions { Parallelism = 1, ResidentDrawsPerSession = 1 });
        // Groups of 4 (blocks 4, 4, 3), in parallel, and with a 2-draw output buffer (waves of one block each).
        foreach (var grouped in new[]
                 {
                     Predict(new PredictorOptions { Parallelism = 1, ResidentDrawsPerSession = 4 }),
                     Predict(new PredictorOptions { Parallelism = 3, ResidentDrawsPerSession = 4 }),
                     Predict(new PredictorOptions { Parallelism = 2, ResidentDrawsPerSession = 4, WaveBufferFloats = 2 * 60 }),
                 })
        {
            Close(single.LogProbabilities, grouped.LogProbabilities);
            Close(single.ExpectedEntropy, grouped.ExpectedEntropy);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_request_allocates_nothing_theta_sized_per_draw(bool resident)
    {
        var model = Load(Digits);
        var layout = ParameterLayout.FromModel(model);
        var x = Rows(Digits, 1);
        var thetaBytes = 4L * layout.Dimension;
        // Parallelism 1: every allocation of a request happens on the calling thread, where it is counted exactly.
        var options = new PredictorOptions { Parallelism = 1, ResidentDrawBudgetBytes = resident ? 1L << 30 : 0 };
        long BytesPerRequest(int draws)
        {
            var source = Draws(model, layout, draws);
            using var predictor = Predictor(Digits, model, layout, options);
            Assert.Equal(resident, predictor.UseResidentDraws(source));
            for (var i = 0; i < 3; i++) predictor.Predict(x, source); // warm-up: pooled worker, JIT
            var before = GC.GetAllocatedBytesForCurrentThread();
            predictor.Predict(x, source);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var few = BytesPerRequest(4);
        var many = BytesPerRequest(20);
        var perDraw = (many - few) / 16.0;
        Assert.True(perDraw < thetaBytes / 4.0, $"{perDraw:F0} bytes per extra draw; θ is {thetaBytes} bytes");
        Assert.True(few < thetaBytes, $"a 4-draw request allocated {few} bytes; θ is {thetaBytes} bytes");
    }
}
