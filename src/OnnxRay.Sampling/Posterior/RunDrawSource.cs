using OnnxRay.Onnx.Prediction;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Posterior;

/// <summary>
/// M draws of a run folder, evenly thinned over the concatenation of every chain's committed draws
/// (all of them when M is not given), read from the memory-mapped chunks.
/// </summary>
public sealed class RunDrawSource : IDrawSource
{
    private readonly RunFolder _folder;
    private readonly (int Chain, long Draw)[] _selected;

    public RunDrawSource(RunFolder folder, int? maxDraws = null)
    {
        _folder = folder;
        var all = folder.Chains.SelectMany(c => Enumerable.Range(0, (int)c.DrawCount).Select(d => (c.ChainIndex, (long)d))).ToArray();
        if (maxDraws is { } m && m < 1) throw new ArgumentOutOfRangeException(nameof(maxDraws), "must be at least 1.");
        _selected = maxDraws is { } max && max < all.Length
            ? Enumerable.Range(0, max).Select(i => all[(int)((long)i * all.Length / max)]).ToArray()
            : all;
    }

    public int Count => _selected.Length;
    public int Dimension => _folder.Manifest.Dimension;

    /// <summary>Which (chain, draw) each selected draw is.</summary>
    public IReadOnlyList<(int Chain, long Draw)> Selected => _selected;

    public void Read(int index, Span<float> destination)
    {
        var (chain, draw) = _selected[index];
        var reader = _folder.Chains[chain];
        // The reader maps chunks lazily; serialise per chain so two threads never map the same chunk twice.
        lock (reader) reader.ReadDraw(draw, destination);
    }
}
