using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.Hmc;

public class HmcCheckpointTests
{
    private const int Warmup = 300;
    private const int Draws = 100;

    private static HmcOptions Options() => new() { Steps = 7, Jitter = 0.2, RandomSteps = true, MomentumPersistence = 0.5 };

    /// <summary>Every position after each call, flattened, for bit-exact comparison.</summary>
    private static List<float[]> Continue(ISamplerKernel kernel, int fromStep)
    {
        var trace = new List<float[]>();
        for (var i = fromStep; i < Warmup + Draws; i++)
        {
            var info = kernel.Step();
            if (i < Warmup)
            {
                kernel.Adapt(info);
                if (i == Warmup - 1) kernel.EndWarmup();
            }
            trace.Add([.. kernel.Position, (float)info.StepSize, (float)kernel.LogDensity]);
        }
        return trace;
    }

    private static HmcKernel Started(GaussianTarget target, ulong seed)
    {
        var random = new ChainRandom(seed);
        var kernel = new HmcKernel(Options());
        kernel.Initialize(target, target.RandomStart(random), random);
        kernel.BeginWarmup(Warmup);
        return kernel;
    }

    [Fact]
    public void SameSeedGivesBitIdenticalChains()
    {
        var target = GaussianTarget.IllConditioned(6, 50, rotate: false);
        var a = Continue(Started(target, 17), 0);
        var b = Continue(Started(target, 17), 0);
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
        var c = Continue(Started(target, 18), 0);
        Assert.NotEqual(a[^1], c[^1]);
    }

    [Theory]
    [InlineData(40)]   // initial fast buffer
    [InlineData(130)]  // inside a slow metric window (Welford half full)
    [InlineData(299)]  // last warm-up step
    [InlineData(350)]  // after warm-up
    public void RestoredKernelContinuesBitIdentically(int checkpointAt)
    {
        var target = GaussianTarget.IllConditioned(6, 50, rotate: false);
        var original = Started(target, 5);
        var reference = Continue(Started(target, 5), 0);

        // Run the original to the checkpoint, save, and continue it; restore into a fresh kernel with other inputs.
        KernelDriving.Advance(original, checkpointAt, Warmup);
        var restored = new HmcKernel(Options());
        restored.Initialize(target, new float[target.Dimension], new ChainRandom(999));
        KernelDriving.CopyState(original, restored);
        var continued = Continue(original, checkpointAt);
        var resumed = Continue(restored, checkpointAt);

        Assert.Equal(reference.Count - checkpointAt, continued.Count);
        for (var i = 0; i < continued.Count; i++)
        {
            Assert.Equal(reference[checkpointAt + i], continued[i]);
            Assert.Equal(continued[i], resumed[i]);
        }
    }

    [Fact]
    public void RestoreRejectsACheckpointOfAnotherDimension()
    {
        var small = Started(GaussianTarget.StandardNormal(3), 1);
        using var buffer = new MemoryStream();
        small.SaveState(new BinaryWriter(buffer));
        var large = new HmcKernel(Options());
        var target = GaussianTarget.StandardNormal(4);
        large.Initialize(target, new float[4], new ChainRandom(1));
        buffer.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => large.RestoreState(new BinaryReader(buffer)));
        Assert.Contains("dimension 3", error.Message);
    }
}
