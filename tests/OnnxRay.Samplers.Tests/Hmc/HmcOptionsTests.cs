using System.Reflection;
using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc;

namespace OnnxRay.Samplers.Tests.Hmc;

public class HmcOptionsTests
{
    public static TheoryData<string, Action<HmcOptions>> InvalidSettings => new()
    {
        { "step-size", o => o.StepSize = -0.1 },
        { "step-size", o => o.StepSize = double.NaN },
        { "steps", o => o.Steps = 0 },
        { "path-length", o => o.PathLength = -1 },
        { "max-steps", o => o.MaxSteps = 0 },
        { "jitter", o => o.Jitter = 1.0 },
        { "target-accept", o => o.TargetAccept = 1.0 },
        { "target-accept", o => o.TargetAccept = 0 },
        { "metric-init-buffer", o => o.MetricInitBuffer = -1 },
        { "metric-window", o => o.MetricWindow = 1 },
        { "metric-term-buffer", o => o.MetricTermBuffer = -5 },
        { "max-energy-error", o => o.MaxEnergyError = 0 },
        { "momentum-persistence", o => o.MomentumPersistence = 1.0 },
        { "friction", o => o.Friction = -1 },
        { "momentum-reset", o => o.MomentumResetThreshold = 0 },
        { "mode", o => o.Mode = (HmcMode)42 },
        { "step-size", o => o.Mode = HmcMode.Sghmc },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void EachProblemNamesItsOption(string key, Action<HmcOptions> spoil)
    {
        var options = new HmcOptions();
        spoil(options);
        var problems = options.Validate().ToList();
        Assert.Single(problems);
        Assert.Contains($"'{key}'", problems[0]);
        var error = Assert.Throws<SamplerOptionsException>(() => new HmcSamplerFactory().CreateKernel(options));
        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void DefaultsAreValidAndEveryOptionKeyIsKebabCaseAndUnique()
    {
        Assert.Empty(new HmcOptions().Validate());
        var keys = typeof(HmcOptions).GetProperties()
            .Select(p => p.GetCustomAttribute<SamplerOptionAttribute>())
            .Where(a => a is not null).Select(a => a!.Name).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.All(keys, k => Assert.Matches("^[a-z]+(-[a-z]+)*$", k));
        Assert.Contains("step-size", keys);
        Assert.Contains("friction", keys);
    }

    [Fact]
    public void FactoryIsNamedHmcAndBuildsAKernel()
    {
        var factory = new HmcSamplerFactory();
        Assert.Equal("hmc", factory.Name);
        Assert.Equal(typeof(HmcOptions), factory.OptionsType);
        using var kernel = factory.CreateKernel(factory.CreateDefaultOptions());
        Assert.IsType<HmcKernel>(kernel);
    }

    [Fact]
    public void AutoModeOnAMinibatchDensityNeedsAStepSize()
    {
        using var kernel = new HmcSamplerFactory().CreateKernel(new HmcOptions());
        var error = Assert.Throws<SamplerOptionsException>(() =>
            kernel.Initialize(new NoisyGaussianDensity(3, 1, 1), new float[3], new ChainRandom(1)));
        Assert.Contains("'step-size'", error.Message);
    }
}
