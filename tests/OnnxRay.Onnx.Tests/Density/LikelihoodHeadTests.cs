using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.AutodiffEngine;

namespace OnnxRay.Onnx.Tests.Density;

/// <summary>Heads and priors against C# closed forms (double), and their gradients against finite differences.</summary>
public class LikelihoodHeadTests
{
    /// <summary>Prediction = x + w (w a [K] parameter), so ∂/∂w sums the head's gradient over the batch.</summary>
    private static (GraphCase Graph, ModelProto Raw) AffineModel(long[] xShape, NpyArray target, int seed = 3)
    {
        var g = new GraphCase(seed);
        var rnd = new Random(seed);
        var count = (int)xShape.Aggregate(1L, (a, d) => a * d);
        var x = g.Input("x", NpyArray.FromFloats(Enumerable.Range(0, count).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray(), xShape));
        var w = g.Param("w", [xShape[^1]]);
        var y = g.Node("Add", [x, w]);
        g.Data["target"] = target;
        return (g, g.RawModel(y));
    }

    private static double Evaluate(ModelProto raw, GraphCase g, string likelihood, string prior, out float[] theta, out OrtLogDensity density)
    {
        var model = new OnnxModel(raw, "head_test.onnx", null);
        density = OrtLogDensity.Create(model, DensityData.FromArrays(g.Data), DensityOptions.Parse(likelihood, prior), null, ParameterSelection.Parse("w"));
        theta = density.InitialTheta;
        return density.Evaluate(theta, new float[density.Dimension]);
    }

    private static float[] Prediction(GraphCase g, float[] theta)
    {
        var x = (float[])g.Data["x"].Data;
        var k = theta.Length;
        return x.Select((v, i) => v + theta[i % k]).ToArray();
    }

    /// <summary>
    /// Ignored targets are skipped: -100 on 3-D logits, and -1, which would otherwise be read as the last class.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 0, 3, -100, 2, 1, -100 }, new long[] { 2, 3, 4 }, -100L)]
    [InlineData(new long[] { 0, -1, 3, 2, -1, 1 }, new long[] { 6, 4 }, -1L)]
    public void Categorical_skips_the_ignore_index(long[] target, long[] logitShape, long ignore)
    {
        var likelihood = $"categorical:ignore={ignore}";
        var (g, raw) = AffineModel(logitShape, NpyArray.FromInt64s(target, logitShape[..^1]));
        var value = Evaluate(raw, g, likelihood, "none", out var theta, out var density);
        using (density)
        {
            var z = Prediction(g, theta);
            var k = (int)logitShape[^1];
            var expected = 0.0;
            for (var i = 0; i < target.Length; i++)
            {
                if (target[i] == ignore) continue;
                var row = z.Skip(i * k).Take(k).Select(v => (double)v).ToArray();
                var max = row.Max();
                expected += row[target[i]] - (max + Math.Log(row.Sum(v => Math.Exp(v - max))));
            }
            Assert.Equal(expected, value, 4);
        }
        var (g2, raw2) = AffineModel(logitShape, NpyArray.FromInt64s(target, logitShape[..^1]));
        GradientCheck.AgainstFiniteDifferences(new OnnxModel(raw2, "t.onnx", null), g2, likelihood, glob: "w");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-5)]
    public void Categorical_target_outside_the_classes_is_named(long bad)
    {
        var (g, raw) = AffineModel([3, 4], NpyArray.FromInt64s([0, bad, 2], 3));
        var e = Assert.Throws<DataMismatchException>(() => Evaluate(raw, g, "categorical", "none", out _, out _));
        Assert.Equal("target", e.ArrayName);
        Assert.Contains($"class {bad}", e.Message);
    }

    [Fact]
    public void Gaussian_fixed_sigma_full_normalised_density()
    {
        var y = new float[] { 0.3f, -1.2f, 2.0f, 0.7f };
        var (g, raw) = AffineModel([4, 1], NpyArray.FromFloats(y, 4));
        var value = Evaluate(raw, g, "gaussian:0.5", "none", out var theta, out var density);
        using (density)
        {
            var mu = Prediction(g, theta);
            var expected = y.Select((t, i) => -0.5 * Math.Pow((t - mu[i]) / 0.5, 2) - Math.Log(0.5) - 0.5 * Math.Log(2 * Math.PI)).Sum();
            Assert.Equal(expected, value, 4);
        }
        GradientCheck.AgainstFiniteDifferences(new OnnxModel(raw, "t.onnx", null), g, "gaussian:0.5", glob: "w");
    }

    [Fact]
    public void Gaussian_learned_noise_appends_log_sigma_initialised_from_residuals()
    {
        var y = new float[] { 0.3f, -1.2f, 2.0f, 0.7f, 1.1f };
        var (g, raw) = AffineModel([5, 1], NpyArray.FromFloats(y, 5));
        var value = Evaluate(raw, g, "gaussian", "none", out var theta, out var density);
        using (density)
        {
            Assert.Equal(LikelihoodSpec.LogSigmaParameter, density.Layout.Tensors[^1].Name);
            Assert.Equal(2, density.Dimension);
            var mu = Prediction(g, theta[..1]);
            var residuals = y.Select((t, i) => (double)t - mu[i]).ToArray();
            var mean = residuals.Average();
            Assert.Equal(Math.Log(Math.Sqrt(residuals.Sum(r => (r - mean) * (r - mean)) / 5)), theta[1], 5);
            var s = Math.Exp(theta[1]);
            var expected = residuals.Sum(r => -0.5 * r * r / (s * s) - Math.Log(s) - 0.5 * Math.Log(2 * Math.PI));
            Assert.Equal(expected, value, 4);
        }
        GradientCheck.AgainstFiniteDifferences(new OnnxModel(raw, "t.onnx", null), g, "gaussian", glob: "w");
    }

    [Fact]
    public void Bernoulli_is_overflow_free_for_large_logits()
    {
        var y = new float[] { 1, 0, 1, 0 };
        var (g, raw) = AffineModel([4, 1], NpyArray.FromFloats(y, 4));
        ((float[])g.Data["x"].Data)[0] = 200f; // exp(200) overflows float32; the stable form must not
        ((float[])g.Data["x"].Data)[1] = -150f;
        var value = Evaluate(raw, g, "bernoulli", "none", out var theta, out var density);
        using (density)
        {
            var z = Prediction(g, theta);
            double Softplus(double v) => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));
            var expected = y.Select((t, i) => t * z[i] - Softplus(z[i])).Sum();
            Assert.True(double.IsFinite(value));
            Assert.Equal(expected, value, 3);
        }
    }

    [Theory]
    [InlineData("gaussian:0.7")]
    [InlineData("gaussian-fanin:1.5")]
    public void Prior_matches_closed_form_and_gradient(string prior)
    {
        var g = new GraphCase(5);
        var w = g.Param("w", [3, 4]);
        var b = g.Param("b", [4]);
        var model = g.Finish(g.Node("Add", [g.Node("Mul", [w, w]), b]), [3, 4]);
        var spec = PriorSpec.Parse(prior);
        var (theta, gradient, density) = GradientCheck.Evaluate(model, g, prior: prior);
        var withPrior = density.EvaluateValue(theta);
        density.Dispose();
        var (_, gradientNoPrior, plain) = GradientCheck.Evaluate(model, g);
        var without = plain.EvaluateValue(theta);
        var layout = plain.Layout;
        plain.Dispose();
        Assert.Equal(spec.LogDensity(layout, theta), withPrior - without, 3);
        foreach (var t in layout.Tensors)
        {
            var sigma = spec.SigmaFor(t);
            Assert.Equal(prior.StartsWith("gaussian-fanin") && t.Name == "w" ? 1.5 / 2 : prior.StartsWith("gaussian-fanin") ? 1.5 : 0.7, sigma, 12);
            for (var i = t.Offset; i < t.Offset + t.Length; i++)
                Assert.Equal(gradientNoPrior[i] - theta[i] / (sigma * sigma), gradient[i], 4);
        }
        GradientCheck.AgainstFiniteDifferences(model, g, prior: prior);
    }

    [Theory]
    [InlineData("poisson", "--likelihood")]
    [InlineData("gaussian:-1", "--likelihood")]
    [InlineData("categorical:x", "--likelihood")]
    [InlineData("loss:", "--likelihood")]
    public void Bad_likelihood_names_the_option(string text, string option)
    {
        var e = Assert.Throws<DensityOptionException>(() => LikelihoodSpec.Parse(text));
        Assert.Equal(option, e.Option);
        Assert.Contains(text.Split(':')[0], e.Message);
    }

    [Theory]
    [InlineData("laplace:1")]
    [InlineData("gaussian")]
    [InlineData("gaussian-fanin:0")]
    public void Bad_prior_names_the_option(string text)
    {
        var e = Assert.Throws<DensityOptionException>(() => PriorSpec.Parse(text));
        Assert.Equal("--prior", e.Option);
    }

    [Fact]
    public void Parses_every_kind()
    {
        Assert.Equal(LikelihoodKind.Categorical, LikelihoodSpec.Parse("categorical").Kind);
        Assert.Equal(-1, LikelihoodSpec.Parse("categorical:ignore=-1").IgnoreIndex);
        Assert.Equal(0.25, LikelihoodSpec.Parse("gaussian:0.25").Sigma);
        Assert.Equal(LikelihoodKind.GaussianLearned, LikelihoodSpec.Parse("gaussian").Kind);
        Assert.Equal(LikelihoodKind.Bernoulli, LikelihoodSpec.Parse("bernoulli").Kind);
        Assert.Equal("nll", LikelihoodSpec.Parse("loss:nll").OutputName);
        Assert.Equal(LikelihoodKind.Output, LikelihoodSpec.Parse("output:ll").Kind);
        Assert.Equal(PriorKind.GaussianFanIn, PriorSpec.Parse("gaussian-fanin:2").Kind);
        Assert.Equal(PriorKind.None, PriorSpec.Parse("none").Kind);
    }

    [Fact]
    public void Loss_head_negates_the_model_loss()
    {
        var g = new GraphCase(9);
        var w = g.Param("w", [6]);
        var model = g.Finish(g.Node("Mul", [w, w]), [6]);
        var (theta, gradient, density) = GradientCheck.Evaluate(model, g, "output:L");
        var asOutput = density.EvaluateValue(theta);
        density.Dispose();
        var (_, lossGradient, lossDensity) = GradientCheck.Evaluate(model, g, "loss:L");
        using (lossDensity)
        {
            Assert.Equal(-asOutput, lossDensity.EvaluateValue(theta), 5);
            Assert.Equal(gradient.Select(v => -v), lossGradient);
        }
    }
}
