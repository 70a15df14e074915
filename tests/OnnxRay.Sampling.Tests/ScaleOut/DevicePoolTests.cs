using OnnxRay.Abstractions;
using OnnxRay.Onnx.Density;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Testing;

namespace OnnxRay.Sampling.Tests.ScaleOut;

/// <summary>A batch of parameter vectors spread over several ORT CPU sessions equals sequential evaluation on one session.</summary>
public sealed class DevicePoolTests
{
    [Fact]
    public void BatchOverTwoCpuSessions_EqualsSequentialEvaluation()
    {
        var definition = new PosteriorDefinition
        {
            ModelPath = Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx"),
            DataPath = Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"),
            Likelihood = "gaussian:0.5",
            Prior = "gaussian:1",
        };
        using var problem = PosteriorProblem.Open(definition, runSeed: 3);
        var d = problem.Layout.Dimension;
        const int k = 5;
        var random = new Random(11);
        var thetas = new float[k * d];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < d; j++) thetas[i * d + j] = problem.InitialTheta[j] + (float)(0.01 * (random.NextDouble() - 0.5));

        var devices = DevicePoolLogDensity.ParseDevices("cpu*2");
        Assert.Equal(["cpu", "cpu"], devices);
        var chain = 0;
        using var pool = DevicePoolLogDensity.Create(devices, _ => problem.CreateDensity(Interlocked.Increment(ref chain)));
        using var single = problem.CreateDensity(99);
        IBatchLogDensity batch = pool;
        Assert.Equal(2, batch.Concurrency);

        var values = new double[k];
        batch.EvaluateValues(thetas, values);
        var logp = new double[k];
        var gradients = new float[k * d];
        batch.EvaluateExactBatch(thetas, logp, gradients);
        var gradient = new float[d];
        for (var i = 0; i < k; i++)
        {
            var row = thetas.AsSpan(i * d, d);
            Assert.Equal(single.EvaluateValue(row), values[i]);
            Assert.Equal(single.EvaluateExact(row, gradient), logp[i]);
            Assert.True(gradient.AsSpan().SequenceEqual(gradients.AsSpan(i * d, d)), $"gradient of row {i} differs");
        }
        Assert.Throws<ArgumentException>(() => batch.EvaluateValues(thetas.AsSpan(1), values));
    }
}
