namespace OnnxRay.Hosting.Tests.Support;

/// <summary>
/// One boston_mlp (regression) and one digits_cnn (classification) run folder, written once for every test class of
/// the collection, each served by an in-process service.
/// </summary>
public sealed class PosteriorRuns : IAsyncLifetime
{
    private readonly TempFolder _temp = new();

    public string BostonRun => _temp.Sub("boston");
    public string DigitsRun => _temp.Sub("digits");
    public ServiceInstance Boston { get; private set; } = null!;
    public ServiceInstance Digits { get; private set; } = null!;

    /// <summary>A fresh folder for a test that needs to modify files (e.g. corrupt a copy of a run).</summary>
    public TempFolder NewTemp() => new();

    public async Task InitializeAsync()
    {
        TestRuns.Boston(BostonRun);
        TestRuns.Digits(DigitsRun);
        Boston = await ServiceInstance.StartAsync(o => o.RunFolder = BostonRun);
        Digits = await ServiceInstance.StartAsync(o => o.RunFolder = DigitsRun);
    }

    public async Task DisposeAsync()
    {
        if (Boston is not null) await Boston.DisposeAsync();
        if (Digits is not null) await Digits.DisposeAsync();
        _temp.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PosteriorRunsCollection : ICollectionFixture<PosteriorRuns>
{
    public const string Name = "posterior runs";
}
