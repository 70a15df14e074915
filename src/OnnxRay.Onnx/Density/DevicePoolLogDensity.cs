using OnnxRay.Abstractions;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// One chain's log density spread over several devices: one member density (e.g. one <see cref="OrtLogDensity"/>
/// session per device, <c>cuda:0,cuda:1</c>, or several CPU sessions) per device. Single evaluations go to the first
/// member; a batch of K parameter vectors is split into contiguous shares, one per member, evaluated concurrently
/// (one thread per member) and gathered in order. Members must be the same density (same model, data, options), so
/// the results equal sequential evaluation on the first member exactly (the same deterministic kernels).
/// </summary>
public sealed class DevicePoolLogDensity : IBatchLogDensity, IDisposable
{
    private readonly ILogDensity[] _members;

    /// <param name="members">One density per device; all with the same dimension. Owned (disposed) by the pool.</param>
    public DevicePoolLogDensity(IReadOnlyList<ILogDensity> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("needs at least one member density.", nameof(members));
        if (members.Any(m => m.Dimension != members[0].Dimension))
            throw new ArgumentException("member densities have different dimensions.", nameof(members));
        if (members.Any(m => m.IsStochastic))
            throw new ArgumentException("a device pool needs full-batch (non-stochastic) densities: minibatch streams would differ between devices.", nameof(members));
        _members = members.ToArray();
    }

    /// <summary>Builds one member per device name with <paramref name="factory"/> (e.g. an <see cref="OrtLogDensity"/> with that device).</summary>
    public static DevicePoolLogDensity Create(IEnumerable<string> devices, Func<string, ILogDensity> factory) =>
        new(devices.Select(factory).ToList());

    /// <summary>Parses <c>cuda:0,cuda:1</c> or <c>cpu,cpu</c>; <c>cpu*3</c> means three CPU sessions.</summary>
    public static IReadOnlyList<string> ParseDevices(string text)
    {
        var result = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var star = part.IndexOf('*');
            if (star > 0 && int.TryParse(part[(star + 1)..], out var count) && count > 0)
                result.AddRange(Enumerable.Repeat(part[..star], count));
            else result.Add(part);
        }
        if (result.Count == 0) throw new ArgumentException($"'{text}' names no device.", nameof(text));
        return result;
    }

    public int Concurrency => _members.Length;
    public int Dimension => _members[0].Dimension;
    public bool IsStochastic => false;
    public long DataSetSize => _members[0].DataSetSize;
    public long BatchSize => _members[0].BatchSize;
    public IReadOnlyList<ParameterGroup> Groups => _members[0].Groups;

    public double Evaluate(ReadOnlySpan<float> theta, Span<float> gradient) => _members[0].Evaluate(theta, gradient);
    public double EvaluateExact(ReadOnlySpan<float> theta, Span<float> gradient) => _members[0].EvaluateExact(theta, gradient);
    public double EvaluateValue(ReadOnlySpan<float> theta) => _members[0].EvaluateValue(theta);

    public void EvaluateValues(ReadOnlySpan<float> thetas, Span<double> logDensities)
    {
        var k = Rows(thetas, logDensities.Length);
        var input = thetas.ToArray();
        var output = new double[k];
        Run(k, (member, row) => output[row] = member.EvaluateValue(input.AsSpan(row * Dimension, Dimension)));
        output.CopyTo(logDensities);
    }

    public void EvaluateExactBatch(ReadOnlySpan<float> thetas, Span<double> logDensities, Span<float> gradients)
    {
        var k = Rows(thetas, logDensities.Length);
        if (gradients.Length != thetas.Length) throw new ArgumentException($"needs K×D = {thetas.Length} gradient values.", nameof(gradients));
        var input = thetas.ToArray();
        var output = new double[k];
        var grads = new float[thetas.Length];
        var d = Dimension;
        Run(k, (member, row) => output[row] = member.EvaluateExact(input.AsSpan(row * d, d), grads.AsSpan(row * d, d)));
        output.CopyTo(logDensities);
        grads.CopyTo(gradients);
    }

    private int Rows(ReadOnlySpan<float> thetas, int k)
    {
        if (thetas.Length != checked(k * Dimension)) throw new ArgumentException($"needs K×D = {k}×{Dimension} values, got {thetas.Length}.", nameof(thetas));
        return k;
    }

    /// <summary>Rows [start, end) of member m's contiguous share, each member on its own thread (the first on the caller's).</summary>
    private void Run(int k, Action<ILogDensity, int> evaluate)
    {
        var used = Math.Min(_members.Length, k);
        if (used <= 1)
        {
            for (var row = 0; row < k; row++) evaluate(_members[0], row);
            return;
        }
        void Share(int m)
        {
            var start = (int)((long)k * m / used);
            var end = (int)((long)k * (m + 1) / used);
            for (var row = start; row < end; row++) evaluate(_members[m], row);
        }
        var threads = new Thread[used - 1];
        Exception? failure = null;
        for (var m = 1; m < used; m++)
        {
            var member = m;
            threads[m - 1] = new Thread(() =>
            {
                try { Share(member); }
                catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
            }) { IsBackground = true, Name = $"device-pool-{member}" };
            threads[m - 1].Start();
        }
        try { Share(0); }
        finally { foreach (var t in threads) t.Join(); }
        if (failure is not null) throw new AggregateException("a device of the pool failed.", failure);
    }

    public void Dispose()
    {
        foreach (var member in _members) (member as IDisposable)?.Dispose();
    }
}
