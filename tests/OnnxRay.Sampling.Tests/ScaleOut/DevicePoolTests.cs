using OnnxRay.Abstractions;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.Errors;
using OnnxRay.Sampling.Posterior;
using OnnxRay.Testing;

namespace OnnxRay.Sampling.Tests.ScaleOut;

/// <summary>A batch of parameter vectors spread over several ORT CPU sessions equals sequential evaluation on one session.</summary>
public sealed class DevicePoolTests
{
    private static PosteriorProblem Boston(long? batchSize = null) => PosteriorProblem.Open(new PosteriorDefinition
    {
        ModelPath = Path.Combine(RepositoryPaths.Models, "boston_mlp.onnx"),
        DataPath = Path.Combine(RepositoryPaths.Models, "data", "boston", "train.npz"),
        Likelihood = "gaussian:0.5",
        Prior = "gaussian:1",
        BatchSize = batchSize,
    }, runSeed: 3);

    private static float[] Perturbed(PosteriorProblem problem, int k, int seed)
    {
        var d = problem.Layout.Dimension;
        var random = new Random(seed);
        var thetas = new float[k * d];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < d; j++) thetas[i * d + j] = problem.InitialTheta[j] + (float)(0.01 * (random.NextDouble() - 0.5));
        return thetas;
    }

    [Fact]
    public void BatchOverTwoCpuSessions_EqualsSequentialEvaluation()
    {
        using var problem = Boston();
        var d = problem.Layout.Dimension;
        var devices = DevicePoolLogDensity.ParseDevices("cpu*2");
        Assert.Equal(["cpu", "cpu"], devices);
        var chain = 0;
        using var pool = DevicePoolLogDensity.Create(devices, _ => problem.CreateDensity(Interlocked.Increment(ref chain)));
        using var single = problem.CreateDensity(99);
        IBatchLogDensity batch = pool;
        Assert.Equal(2, batch.Concurrency);

        // Several batches of different sizes through the same (persistent) workers, K = 1 included.
        foreach (var (k, seed) in new[] { (5, 11), (1, 12), (3, 13), (8, 14) })
        {
            var thetas = Perturbed(problem, k, seed);
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
                Assert.True(gradient.AsSpan().SequenceEqual(gradients.AsSpan(i * d, d)), $"K={k}: gradient of row {i} differs");
            }
        }
        Assert.Throws<ArgumentException>(() => batch.EvaluateValues(Perturbed(problem, 2, 1).AsSpan(1), new double[2]));
    }

    [Fact]
    public void LazyPool_BuildsItsOtherSessionsOnlyAtTheFirstBatch_AndDisposesCleanly()
    {
        using var problem = Boston();
        var d = problem.Layout.Dimension;
        var built = new List<string>();
        var pool = DevicePoolLogDensity.CreateLazy(problem.CreateDensity(1), ["cpu", "cpu", "cpu"], device =>
        {
            lock (built) built.Add(device);
            return problem.CreateDensity(1);
        });
        using var single = problem.CreateDensity(1);
        var theta = Perturbed(problem, 1, 5);
        Assert.Equal(single.EvaluateValue(theta), pool.EvaluateValue(theta));
        Assert.Empty(built);

        var thetas = Perturbed(problem, 4, 6);
        var values = new double[4];
        pool.EvaluateValues(thetas, values);
        Assert.Equal(2, built.Count);
        for (var i = 0; i < 4; i++) Assert.Equal(single.EvaluateValue(thetas.AsSpan(i * d, d)), values[i]);

        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.EvaluateValues(thetas, values));
    }

    [Fact]
    public void FailingSession_SurfacesAsTypedErrorNamingItsDevice_AndThePoolStaysUsable()
    {
        // cuda:1 is absent here (CPU build of ONNX Runtime): its session fails on its worker thread at the first batch.
        using var problem = Boston();
        var d = problem.Layout.Dimension;
        using var pool = DevicePoolLogDensity.CreateLazy(problem.CreateDensity(1), ["cpu", "cuda:1"], device =>
            OrtLogDensity.Create(problem.Model, problem.Data, problem.DensityOptions, new OrtLogDensityOptions { Device = device }, problem.Selection));
        var thetas = Perturbed(problem, 2, 7);
        var values = new double[2];
        var error = Assert.Throws<DevicePoolException>(() => pool.EvaluateValues(thetas, values));
        Assert.Equal("cuda:1", error.Device);
        Assert.Equal(1, error.Session);
        Assert.Contains("Device 'cuda:1' (session 1 of 2", error.Message);
        Assert.IsType<ExecutionProviderException>(error.InnerException);

        // A batch of one row stays on the first session and still works; so do single evaluations.
        using var single = problem.CreateDensity(1);
        pool.EvaluateValues(thetas.AsSpan(0, d), values.AsSpan(0, 1));
        Assert.Equal(single.EvaluateValue(thetas.AsSpan(0, d)), values[0]);
    }

    [Fact]
    public void MinibatchStreamAndCheckpoint_AreTheFirstSessions_AndBatchesStayExact()
    {
        using var problem = Boston(batchSize: 32);
        var d = problem.Layout.Dimension;
        using var pool = DevicePoolLogDensity.CreateLazy(problem.CreateDensity(4), ["cpu", "cpu"], _ => problem.CreateDensity(4));
        using var alone = problem.CreateDensity(4);
        Assert.True(pool.IsStochastic);
        var theta = Perturbed(problem, 1, 8);
        var gradient = new float[d];
        double Minibatch(ILogDensity density) => density.Evaluate(theta, gradient);

        // The same minibatch stream as the chain's session alone, and a batch in between does not advance it.
        Assert.Equal(Minibatch(alone), Minibatch(pool));
        var thetas = Perturbed(problem, 2, 9);
        var exact = new double[2];
        pool.EvaluateValues(thetas, exact);
        for (var i = 0; i < 2; i++) Assert.Equal(alone.EvaluateValue(thetas.AsSpan(i * d, d)), exact[i]);
        Assert.Equal(Minibatch(alone), Minibatch(pool));

        // The checkpoint holds the first session's feeder: restoring it replays the same minibatches.
        using var saved = new MemoryStream();
        pool.SaveState(new BinaryWriter(saved));
        var next = new[] { Minibatch(pool), Minibatch(pool), Minibatch(pool) };
        Assert.NotEqual(next[0], next[1]); // different minibatches
        saved.Position = 0;
        pool.RestoreState(new BinaryReader(saved));
        Assert.Equal(next, new[] { Minibatch(pool), Minibatch(pool), Minibatch(pool) });
    }

    [Theory]
    [InlineData("cpu*0")]
    [InlineData("*2")]
    [InlineData(" , ")]
    public void MalformedDeviceLists_AreRefusedNamingThePart(string text)
    {
        var error = Assert.Throws<ExecutionProviderException>(() => DevicePoolLogDensity.ParseDevices(text));
        Assert.Contains("Device '", error.Message);
    }
}
