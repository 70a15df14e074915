using OnnxRay.Abstractions;
using OnnxRay.Samplers.Metropolis;

namespace OnnxRay.Samplers.Tests.Metropolis;

public class MetropolisOptionsTests
{
    public static TheoryData<string, Action<MetropolisOptions>> InvalidSettings => new()
    {
        { "scale", o => o.Scale = -1 },
        { "scale", o => o.Scale = double.PositiveInfinity },
        { "target-accept", o => o.TargetAccept = 1 },
        { "target-accept", o => o.TargetAccept = -0.2 },
        { "adaptation-decay", o => o.AdaptationDecay = 0.5 },
        { "adaptation-decay", o => o.AdaptationDecay = 1.5 },
        { "covariance-regularization", o => o.CovarianceRegularization = -1e-6 },
        { "proposals", o => o.Proposals = 0 },
        { "proposals", o => o.Proposals = MetropolisOptions.MaxProposals + 1 },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void EachProblemNamesItsOption(string key, Action<MetropolisOptions> spoil)
    {
        var options = new MetropolisOptions();
        spoil(options);
        var problems = options.Validate().ToList();
        Assert.Single(problems);
        Assert.Contains($"'{key}'", problems[0]);
        var error = Assert.Throws<SamplerOptionsException>(() => new MetropolisSamplerFactory().CreateKernel(options));
        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void FactoryIsNamedMetropolisAndDefaultsAreValid()
    {
        var factory = new MetropolisSamplerFactory();
        Assert.Equal("metropolis", factory.Name);
        Assert.Empty(new MetropolisOptions().Validate());
        using var kernel = factory.CreateKernel(factory.CreateDefaultOptions());
        Assert.IsType<MetropolisKernel>(kernel);
    }

    [Theory]
    [InlineData(1, 0.44)]
    [InlineData(2, 0.234)]
    [InlineData(50, 0.234)]
    public void DefaultTargetAcceptanceAndScaleFollowTheDimension(int dimension, double expectedTarget)
    {
        using var kernel = new MetropolisKernel(new MetropolisOptions());
        kernel.Initialize(OnnxRay.Testing.Targets.GaussianTarget.StandardNormal(dimension), new float[dimension], new ChainRandom(1));
        Assert.Equal(expectedTarget, kernel.TargetAccept);
        Assert.Equal(2.38 / Math.Sqrt(dimension), kernel.Scale, 12);
    }
}
