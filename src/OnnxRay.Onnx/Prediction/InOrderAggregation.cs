using System.Runtime.ExceptionServices;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Aggregates a wave's draws in draw order while the wave still runs: a worker that finishes a draw aggregates every
/// finished draw at the head of the order (one worker at a time; a busy gate is skipped, the holder or the final
/// <see cref="Drain"/> picks the draw up). The aggregation then overlaps the other workers' forwards, and the result
/// is the same as aggregating after the wave. An aggregation error is kept and rethrown by <see cref="Drain"/>.
/// </summary>
internal sealed class InOrderAggregation(int capacity, Action<int> aggregateSlot)
{
    private readonly int[] _finished = new int[capacity];
    private readonly object _gate = new();
    private int _next;
    private int _count;
    private ExceptionDispatchInfo? _error;

    /// <summary>Starts a wave of <paramref name="count"/> slots, of which the first <paramref name="alreadyFinished"/> hold outputs.</summary>
    public void Start(int count, int alreadyFinished)
    {
        Array.Clear(_finished);
        for (var k = 0; k < alreadyFinished; k++) _finished[k] = 1;
        _next = 0;
        _count = count;
    }

    /// <summary>Called by the worker that wrote slot <paramref name="slot"/>.</summary>
    public void Finished(int slot)
    {
        Volatile.Write(ref _finished[slot], 1);
        if (!Monitor.TryEnter(_gate)) return;
        try
        {
            AggregateHead();
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    /// <summary>After the wave: aggregates what is left (every slot is finished by now).</summary>
    public void Drain()
    {
        lock (_gate) AggregateHead();
        _error?.Throw();
    }

    private void AggregateHead()
    {
        while (_error is null && _next < _count && Volatile.Read(ref _finished[_next]) == 1)
        {
            try
            {
                aggregateSlot(_next);
            }
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
                return;
            }
            _next++;
        }
    }
}
