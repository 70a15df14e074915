using OnnxRay.Abstractions;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// One chain's log density spread over several devices: one member density (e.g. one <see cref="OrtLogDensity"/>
/// session per device, <c>cuda:0,cuda:1</c>, or several CPU sessions) per device. Single evaluations go to the first
/// member (so a chain draws exactly what it would draw on that session alone, minibatch stream and checkpoint
/// included); a batch of K parameter vectors is split into contiguous shares, one per member, evaluated concurrently
/// and gathered in order. Batches are always exact (full-data) evaluations. The first member's share runs on the
/// caller's thread, every other member has a long-lived worker thread (<see cref="DevicePoolWorker"/>), started at
/// the first batch: samplers that never batch cost no threads. Members must be the same density (same model, data,
/// options), so the results equal sequential evaluation on the first member exactly (the same deterministic kernels).
/// One caller at a time (one chain), like any <see cref="ILogDensity"/>.
/// </summary>
public sealed unsafe class DevicePoolLogDensity : IBatchLogDensity, ICheckpointableDensity, IDisposable
{
    private readonly string[] _devices;
    private readonly ILogDensity?[] _members;
    private readonly Func<string, ILogDensity>? _factory;
    private readonly DevicePoolWorker?[] _workers;
    private readonly CountdownEvent _finished = new(1);
    private readonly Action<int> _share;

    // The batch being evaluated; the caller's spans stay pinned until every share has finished.
    private float* _thetas;
    private double* _values;
    private float* _gradients;
    private int _rows, _used;
    private bool _disposed;

    /// <param name="members">One density per device; all with the same dimension. Owned (disposed) by the pool.</param>
    /// <param name="devices">The device of each member, for error messages (default: "session N").</param>
    public DevicePoolLogDensity(IReadOnlyList<ILogDensity> members, IReadOnlyList<string>? devices = null)
        : this(members.Count > 0 ? members[0] : throw new ArgumentException("needs at least one member density.", nameof(members)),
            devices ?? members.Select((_, i) => $"session {i}").ToList(), factory: null, members)
    {
    }

    private DevicePoolLogDensity(ILogDensity first, IReadOnlyList<string> devices, Func<string, ILogDensity>? factory, IReadOnlyList<ILogDensity>? members)
    {
        ArgumentNullException.ThrowIfNull(first);
        if (devices.Count == 0) throw new ArgumentException("needs at least one device.", nameof(devices));
        if (members is not null && members.Count != devices.Count)
            throw new ArgumentException($"{members.Count} member densities for {devices.Count} devices.", nameof(devices));
        if (members is not null && members.Any(m => m.Dimension != first.Dimension))
            throw new ArgumentException("member densities have different dimensions.", nameof(members));
        _devices = devices.ToArray();
        _members = members?.ToArray() ?? new ILogDensity?[devices.Count];
        _members[0] = first;
        _factory = factory;
        _workers = new DevicePoolWorker?[devices.Count];
        _share = Share;
    }

    /// <summary>Builds one member per device name with <paramref name="factory"/> (e.g. an <see cref="OrtLogDensity"/> with that device).</summary>
    public static DevicePoolLogDensity Create(IEnumerable<string> devices, Func<string, ILogDensity> factory)
    {
        var names = devices.ToList();
        return new DevicePoolLogDensity(names.Select(factory).ToList(), names);
    }

    /// <summary>
    /// A pool whose first member (on <c>devices[0]</c>) already exists and whose other members are built by
    /// <paramref name="factory"/> on their worker thread at the first batch (a chain that never batches builds none).
    /// </summary>
    public static DevicePoolLogDensity CreateLazy(ILogDensity first, IReadOnlyList<string> devices, Func<string, ILogDensity> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new DevicePoolLogDensity(first, devices, factory, members: null);
    }

    /// <summary>
    /// Parses a device list: <c>cpu</c>, <c>cuda:0,cuda:1</c>, <c>cpu,cpu</c>; <c>NAME*N</c> repeats a device N times
    /// (<c>cpu*2</c> = two CPU sessions).
    /// </summary>
    public static IReadOnlyList<string> ParseDevices(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var star = part.IndexOf('*');
            if (star < 0) result.Add(part);
            else if (star > 0 && int.TryParse(part[(star + 1)..], out var count) && count > 0)
                result.AddRange(Enumerable.Repeat(part[..star], count));
            else throw new ExecutionProviderException(part, "malformed repetition; write NAME*N with N ≥ 1, e.g. cpu*2.");
        }
        if (result.Count == 0) throw new ExecutionProviderException(text, "names no device; use e.g. cpu, cuda:0 or cuda:0,cuda:1.");
        return result;
    }

    /// <summary>The device of each session, first = the one single evaluations use.</summary>
    public IReadOnlyList<string> Devices => _devices;

    public int Concurrency => _members.Length;
    public int Dimension => First.Dimension;
    public bool IsStochastic => First.IsStochastic;
    public long DataSetSize => First.DataSetSize;
    public long BatchSize => First.BatchSize;
    public IReadOnlyList<ParameterGroup> Groups => First.Groups;

    private ILogDensity First => _members[0]!;

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => First.Evaluate(theta, gradient);
    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => First.EvaluateExact(theta, gradient);
    public double EvaluateValue(ReadOnlySpan<float> theta) => First.EvaluateValue(theta);

    public void EvaluateValues(ReadOnlySpan<float> thetas, Span<double> logDensities)
    {
        var k = Rows(thetas, logDensities.Length);
        fixed (float* t = thetas)
        fixed (double* v = logDensities)
            RunBatch(t, v, null, k);
    }

    public void EvaluateExactBatch(ReadOnlySpan<float> thetas, Span<double> logDensities, Span<float> gradients)
    {
        var k = Rows(thetas, logDensities.Length);
        if (gradients.Length != thetas.Length) throw new ArgumentException($"needs K×D = {thetas.Length} gradient values, got {gradients.Length}.", nameof(gradients));
        fixed (float* t = thetas)
        fixed (double* v = logDensities)
        fixed (float* g = gradients)
            RunBatch(t, v, g, k);
    }

    /// <summary>The minibatch state is the first member's (the only one that draws minibatches).</summary>
    public void SaveState(BinaryWriter writer) => (First as ICheckpointableDensity)?.SaveState(writer);

    public void RestoreState(BinaryReader reader) => (First as ICheckpointableDensity)?.RestoreState(reader);

    private int Rows(ReadOnlySpan<float> thetas, int k)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (thetas.Length != checked(k * Dimension)) throw new ArgumentException($"needs K×D = {k}×{Dimension} values, got {thetas.Length}.", nameof(thetas));
        return k;
    }

    private void RunBatch(float* thetas, double* values, float* gradients, int k)
    {
        _thetas = thetas;
        _values = values;
        _gradients = gradients;
        _rows = k;
        _used = Math.Min(_members.Length, k);
        if (_used <= 1)
        {
            RunFirstShare();
            return;
        }
        _finished.Reset(_used - 1);
        for (var m = 1; m < _used; m++)
            (_workers[m] ??= new DevicePoolWorker(m, _share, _finished, _devices[m])).Begin();
        try
        {
            RunFirstShare();
        }
        finally
        {
            _finished.Wait();
        }
        for (var m = 1; m < _used; m++)
            if (_workers[m]!.Failure is { } failure) throw Failed(m, failure);
    }

    private void RunFirstShare()
    {
        try { Share(0); }
        catch (Exception e) { throw Failed(0, e); }
    }

    private DevicePoolException Failed(int session, Exception failure) =>
        new(_devices[session], session, _members.Length, failure is DevicePoolException p ? p.InnerException! : failure);

    /// <summary>Rows [start, end) of session m's contiguous share of the current batch.</summary>
    private void Share(int m)
    {
        var member = _members[m] ??= CreateMember(m);
        var d = member.Dimension;
        var start = (int)((long)_rows * m / _used);
        var end = (int)((long)_rows * (m + 1) / _used);
        for (var row = start; row < end; row++)
        {
            var theta = new ReadOnlySpan<float>(_thetas + (long)row * d, d);
            _values[row] = _gradients is null
                ? member.EvaluateValue(theta)
                : member.EvaluateExact(theta, new Span<float>(_gradients + (long)row * d, d));
        }
    }

    private ILogDensity CreateMember(int m)
    {
        var member = _factory!(_devices[m]);
        if (member.Dimension != First.Dimension)
        {
            (member as IDisposable)?.Dispose();
            throw new ArgumentException($"the density built for '{_devices[m]}' has dimension {member.Dimension}, the pool has {First.Dimension}.");
        }
        return member;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var worker in _workers) worker?.Dispose();
        foreach (var member in _members) (member as IDisposable)?.Dispose();
        _finished.Dispose();
    }
}
