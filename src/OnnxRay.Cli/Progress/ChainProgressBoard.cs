using System.Collections.Concurrent;
using OnnxRay.Sampling.Driver;

namespace OnnxRay.Cli.Progress;

/// <summary>Latest progress report of every chain; chains report from their own threads.</summary>
internal sealed class ChainProgressBoard : IProgress<ChainProgress>
{
    private readonly ConcurrentDictionary<int, ChainProgress> _latest = new();

    public void Report(ChainProgress value) => _latest[value.Chain] = value;

    public IReadOnlyList<ChainProgress> Snapshot() => _latest.Values.OrderBy(p => p.Chain).ToList();
}
