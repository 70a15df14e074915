namespace OnnxRay.Onnx.Density;

/// <summary>
/// A long-lived thread that runs one pool session's share of each batch: it sleeps on a semaphore between batches,
/// so handing over a batch starts no thread and allocates nothing. The failure of a share is kept for the caller.
/// </summary>
internal sealed class DevicePoolWorker : IDisposable
{
    private readonly SemaphoreSlim _go = new(0);
    private readonly CountdownEvent _finished;
    private readonly Action<int> _share;
    private readonly int _session;
    private readonly Thread _thread;
    private volatile bool _stopping;

    /// <param name="session">The session whose share this worker runs (passed to <paramref name="share"/>).</param>
    /// <param name="share">Evaluates the current batch's rows of a session; set up by the pool before <see cref="Begin"/>.</param>
    /// <param name="finished">Signalled once per batch when the share is done (or failed).</param>
    public DevicePoolWorker(int session, Action<int> share, CountdownEvent finished, string device)
    {
        _session = session;
        _share = share;
        _finished = finished;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"device-pool-{session}-{device}" };
        _thread.Start();
    }

    /// <summary>The exception of the last share, or null when it succeeded.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Starts this worker's share of the batch the pool has set up.</summary>
    public void Begin()
    {
        Failure = null;
        _go.Release();
    }

    private void Loop()
    {
        while (true)
        {
            _go.Wait();
            if (_stopping) return;
            try { _share(_session); }
            catch (Exception e) { Failure = e; }
            finally { _finished.Signal(); }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _go.Release();
        _thread.Join();
        _go.Dispose();
    }
}
