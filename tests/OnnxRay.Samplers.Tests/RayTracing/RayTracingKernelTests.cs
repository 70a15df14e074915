using OnnxRay.Abstractions;
using OnnxRay.Samplers.RayTracing;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.RayTracing;

/// <summary>Exact (non-statistical) behaviour of the kernel: reversibility, determinism, checkpoints, options.</summary>
public class RayTracingKernelTests
{
    [Theory]
    [InlineData(IntegratorKind.Kdk)]
    [InlineData(IntegratorKind.Dkd)]
    [InlineData(IntegratorKind.Omelyan)]
    public void TrajectoryRunBackwardsReturnsToItsStart(IntegratorKind kind)
    {
        var target = GaussianTarget.IllConditioned(20, 10, rotate: true);
        var random = new ChainRandom(42);
        var space = new PhaseSpace(target, target.RandomStart(random), ParameterGroup.Whole(20));
        random.FillGaussian(space.Velocity);
        var x0 = space.Position.ToArray();
        var v0 = space.Velocity.ToArray();
        const double dt = 0.05;
        for (var i = 0; i < 30; i++) Integrators.Step(space, kind, dt, random);
        space.Flush();
        var forwardLuminosity = space.LogLuminosity;
        Assert.NotEqual(x0[0], space.Position[0]);

        System.Numerics.Tensors.TensorPrimitives.Negate(space.Velocity, space.Velocity);
        for (var i = 0; i < 30; i++) Integrators.Step(space, kind, dt, random);
        space.Flush();
        System.Numerics.Tensors.TensorPrimitives.Negate(space.Velocity, space.Velocity);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(x0[i], space.Position[i], 1e-5 * (1 + Math.Abs(x0[i])));
            Assert.Equal(v0[i], space.Velocity[i], 1e-5 * (1 + Math.Abs(v0[i])));
        }
        // The way back undoes the luminosity gained on the way out.
        Assert.Equal(0.0, space.LogLuminosity, 1e-4 * Math.Max(1, Math.Abs(forwardLuminosity)));
    }

    [Fact]
    public void FusedKicksCostOneGradientPerKdkStepAndTwoPerOmelyanStep()
    {
        var target = GaussianTarget.StandardNormal(10);
        var random = new ChainRandom(1);
        foreach (var (kind, perStep, kicks) in new[] { (IntegratorKind.Kdk, 1, 26), (IntegratorKind.Dkd, 1, 25), (IntegratorKind.Omelyan, 2, 51) })
        {
            var space = new PhaseSpace(target, target.RandomStart(random), ParameterGroup.Whole(10));
            random.FillGaussian(space.Velocity);
            var v0 = space.Velocity.ToArray();
            var x0 = space.Position.ToArray();
            space.EnsureGradient();
            space.GradientEvaluations = 0;
            for (var i = 0; i < 25; i++) Integrators.Step(space, kind, 0.1, random);
            space.Flush();
            Assert.Equal(25 * perStep, space.GradientEvaluations);
            Assert.Equal(kicks, space.KicksApplied); // adjacent kicks at one position are applied as one

            // The same path with every kick applied on its own agrees to float rounding.
            var x = x0.ToArray();
            var v = v0.ToArray();
            var g = new float[10];
            double luminosity = 0;
            void K(double h) { target.Evaluate(x, g); luminosity += VelocityKick.Apply(v, g, h); }
            void D(double h) => PositionDrift.Apply(x, v, h);
            const double lambda = Integrators.OmelyanLambda;
            for (var i = 0; i < 25; i++)
            {
                if (kind == IntegratorKind.Kdk) { K(0.05); D(0.1); K(0.05); }
                else if (kind == IntegratorKind.Dkd) { D(0.05); K(0.1); D(0.05); }
                else { K(lambda * 0.1); D(0.05); K((1 - 2 * lambda) * 0.1); D(0.05); K(lambda * 0.1); }
            }
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(x[i], space.Position[i], 1e-4);
                Assert.Equal(v[i], space.Velocity[i], 1e-4);
            }
            Assert.Equal(luminosity, space.LogLuminosity, 1e-3);
        }
    }

    private static float[] RunChain(RayTracingOptions options, ILogDensity density, ulong seed, int warmup, int draws)
    {
        var random = ChainRandom.ForChain(seed, 3);
        var start = new float[density.Dimension];
        random.FillGaussian(start);
        using var kernel = new RayTracingKernel(options);
        kernel.Initialize(density, start, random);
        kernel.BeginWarmup(warmup);
        for (var i = 0; i < warmup; i++) kernel.Adapt(kernel.Step());
        kernel.EndWarmup();
        var trace = new List<float>();
        for (var i = 0; i < draws; i++)
        {
            kernel.Step();
            trace.AddRange(kernel.Position.ToArray());
        }
        return trace.ToArray();
    }

    [Fact]
    public void SameSeedGivesIdenticalDraws()
    {
        var target = GaussianTarget.IllConditioned(30, 100, rotate: true);
        var a = RunChain(new RayTracingOptions(), target, 7, 60, 40);
        var b = RunChain(new RayTracingOptions(), target, 7, 60, 40);
        var c = RunChain(new RayTracingOptions(), target, 8, 60, 40);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    public static TheoryData<string> CheckpointSettings() => ["auto", "partial-refresh-random", "no-test"];

    private static RayTracingOptions OptionsFor(string setting) => setting switch
    {
        "partial-refresh-random" => new RayTracingOptions { Integrator = IntegratorKind.RandomKdkDkd, RefreshRate = 1.0 },
        "no-test" => new RayTracingOptions { Metropolis = false, Integrator = IntegratorKind.Dkd },
        _ => new RayTracingOptions(),
    };

    [Theory]
    [MemberData(nameof(CheckpointSettings))]
    public void RestoredKernelContinuesBitIdentically(string setting)
    {
        var target = GaussianTarget.IllConditioned(16, 50, rotate: true);
        const int warmup = 80;
        foreach (var saveAt in new[] { 17, 50, 95 }) // inside each warm-up window, and after warm-up
        {
            var random = ChainRandom.ForChain(99, 0);
            var original = new RayTracingKernel(OptionsFor(setting));
            original.Initialize(target, target.RandomStart(random), random);
            original.BeginWarmup(warmup);
            byte[]? checkpoint = null;
            var expected = new List<(float[] X, StepInfo Info)>();
            for (var i = 0; i < 130; i++)
            {
                if (i == saveAt)
                {
                    using var ms = new MemoryStream();
                    using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) original.SaveState(w);
                    checkpoint = ms.ToArray();
                }
                var info = original.Step();
                if (i < warmup) original.Adapt(info);
                if (i == warmup - 1) original.EndWarmup();
                if (i >= saveAt) expected.Add((original.Position.ToArray(), info));
            }

            // A fresh kernel at an unrelated start with an unrelated stream: everything must come from the checkpoint.
            var other = new ChainRandom(12345);
            var restored = new RayTracingKernel(OptionsFor(setting));
            restored.Initialize(target, target.RandomStart(other), other);
            restored.BeginWarmup(warmup);
            using (var r = new BinaryReader(new MemoryStream(checkpoint!))) restored.RestoreState(r);
            for (var i = saveAt; i < 130; i++)
            {
                var info = restored.Step();
                if (i < warmup) restored.Adapt(info);
                if (i == warmup - 1) restored.EndWarmup();
                var (x, e) = expected[i - saveAt];
                Assert.Equal(x, restored.Position.ToArray());
                Assert.Equal(e.LogDensity, info.LogDensity);
                Assert.Equal(e.StepSize, info.StepSize);
                Assert.Equal(e.Accepted, info.Accepted);
            }
        }
    }

    [Fact]
    public void WarmupTunesStepSizeAndTrajectoryLength()
    {
        var target = GaussianTarget.StandardNormal(100);
        var random = ChainRandom.ForChain(5, 0);
        using var kernel = new RayTracingKernel(new RayTracingOptions());
        kernel.Initialize(target, target.RandomStart(random), random);
        var initial = kernel.StepSize;
        Assert.Equal(0.001 * Math.Sqrt(1000.0 / 100), initial, 1e-12);
        kernel.BeginWarmup(300);
        for (var i = 0; i < 300; i++) kernel.Adapt(kernel.Step());
        kernel.EndWarmup();
        // Acceptance-tuned Omelyan on N(0, I₁₀₀) takes path steps Δs of order one, far above the network default.
        Assert.InRange(kernel.StepSize, 20 * initial, 3.0);
        // T ≈ (π/2)·√(ΣVar/D) = π/2 for a standard normal.
        Assert.InRange(kernel.TrajectoryTime, 0.7 * Math.PI / 2, 1.4 * Math.PI / 2);
        Assert.Equal(IntegratorKind.Omelyan, kernel.Integrator);
        Assert.True(kernel.MetropolisTest);
    }

    [Fact]
    public void FactoryIsNamedRaytracingAndRejectsBadOptions()
    {
        var factory = new RayTracingSamplerFactory();
        Assert.Equal("raytracing", factory.Name);
        Assert.Equal(typeof(RayTracingOptions), factory.OptionsType);
        Assert.IsType<RayTracingKernel>(factory.CreateKernel(factory.CreateDefaultOptions()));

        var bad = new RayTracingOptions { StepSize = -1, StepsPerTrajectory = 0, RefreshRate = -2, TargetAcceptance = 1.5, LossTolerance = -3 };
        var problems = bad.Validate().ToList();
        Assert.Contains(problems, p => p.StartsWith("dt "));
        Assert.Contains(problems, p => p.StartsWith("steps "));
        Assert.Contains(problems, p => p.StartsWith("refresh-rate "));
        Assert.Contains(problems, p => p.StartsWith("target-acceptance "));
        Assert.Contains(problems, p => p.StartsWith("loss-tolerance "));
        Assert.Throws<SamplerOptionsException>(() => factory.CreateKernel(bad));
        Assert.Empty(new RayTracingOptions().Validate());
    }

    [Fact]
    public void EveryOptionHasAKebabCaseKey()
    {
        var keys = typeof(RayTracingOptions).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(SamplerOptionAttribute), false).Cast<SamplerOptionAttribute>().SingleOrDefault())
            .ToList();
        Assert.All(keys, k => Assert.NotNull(k));
        Assert.All(keys, k => Assert.Matches("^[a-z]+(-[a-z]+)*$", k!.Name));
        Assert.Equal(keys.Count, keys.Select(k => k!.Name).Distinct().Count());
    }

    [Fact]
    public void GroupsThatDoNotTileThetaAreRejected()
    {
        var density = new GroupedDensity(GaussianTarget.StandardNormal(4), [new ParameterGroup("a", 0, 2), new ParameterGroup("b", 3, 1)]);
        using var kernel = new RayTracingKernel(new RayTracingOptions());
        var ex = Assert.Throws<ArgumentException>(() => kernel.Initialize(density, new float[4], new ChainRandom(1)));
        Assert.Contains("'b'", ex.Message);
    }

    [Fact]
    public void PerGroupRaysFollowTheDensityGroupsUnlessDisabled()
    {
        var groups = new[] { new ParameterGroup("w", 0, 3), new ParameterGroup("b", 3, 2) };
        var density = new GroupedDensity(GaussianTarget.StandardNormal(5), groups);
        using var perGroup = new RayTracingKernel(new RayTracingOptions());
        perGroup.Initialize(density, new float[5], new ChainRandom(1));
        Assert.Equal(2, perGroup.Rays.Count);
        using var single = new RayTracingKernel(new RayTracingOptions { PerGroupRays = false });
        single.Initialize(density, new float[5], new ChainRandom(1));
        Assert.Single(single.Rays);
    }

    [Fact]
    public void MinibatchNoiseInLogDensityIsNotADivergence()
    {
        // Without the test, a minibatch ΔlnL far above max-energy-error is batch noise, not a divergence.
        var density = new OffsetNoiseDensity(20, 1e5, new ChainRandom(4));
        using var kernel = new RayTracingKernel(new RayTracingOptions { StepSize = 0.05, StepsPerTrajectory = 5 });
        kernel.Initialize(density, new float[20], new ChainRandom(5));
        Assert.False(kernel.MetropolisTest);
        for (var i = 0; i < 20; i++)
        {
            var info = kernel.Step();
            Assert.False(info.Divergent);
            Assert.True(info.Accepted);
        }
        Assert.NotEqual(0f, kernel.Position[0]);
    }

    [Fact]
    public void ExactLogDensityEnergyErrorAboveThresholdIsDivergentAndRejected()
    {
        var target = GaussianTarget.StandardNormal(10);
        using var kernel = new RayTracingKernel(new RayTracingOptions { StepSize = 50, StepsPerTrajectory = 5, Integrator = IntegratorKind.Kdk, MaxEnergyError = 10 });
        var start = Enumerable.Repeat(0.5f, 10).ToArray();
        kernel.Initialize(target, start, new ChainRandom(6));
        var info = kernel.Step();
        Assert.True(info.Divergent);
        Assert.False(info.Accepted);
        Assert.Equal(start, kernel.Position.ToArray());
    }
}
