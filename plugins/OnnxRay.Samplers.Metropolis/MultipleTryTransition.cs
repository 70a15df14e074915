using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Metropolis;

/// <summary>
/// One multiple-try Metropolis transition (Liu, Liang &amp; Wong 2000) with symmetric Gaussian proposals
/// T(x, ·) = N(x, σ²·diag(s²)) and weights w(y) = p(y):
/// draw y₁..y_K ~ T(x, ·); pick y = y_J with probability ∝ p(y_j); draw reference points x*₁..x*_{K−1} ~ T(y, ·),
/// x*_K = x; accept y with probability min(1, Σ p(y_j) / Σ p(x*_j)). This is reversible with respect to p, and for
/// K = 1 it is plain random-walk Metropolis. Each of the two point sets is evaluated in one batch call when the density
/// is an <see cref="IBatchLogDensity"/> (a device pool evaluates the K proposals concurrently), one by one otherwise;
/// both give the same values, so the draws do not depend on the path. Buffers are allocated once.
/// </summary>
internal sealed class MultipleTryTransition
{
    private readonly ILogDensity _density;
    private readonly IBatchLogDensity? _batch;
    private readonly int _proposals;
    private readonly int _dimension;
    private readonly float[] _points;
    private readonly float[] _noise;
    private readonly float[] _selected;
    private readonly double[] _proposalLogs;
    private readonly double[] _referenceLogs;

    public MultipleTryTransition(ILogDensity density, int proposals)
    {
        _density = density;
        _batch = density as IBatchLogDensity;
        _proposals = proposals;
        _dimension = density.Dimension;
        _points = new float[checked(proposals * _dimension)];
        _noise = new float[_points.Length];
        _selected = new float[_dimension];
        _proposalLogs = new double[proposals];
        _referenceLogs = new double[proposals];
    }

    /// <summary>The outcome of <see cref="Step"/>: whether y was accepted, log of the acceptance ratio, and the evaluations made.</summary>
    public readonly record struct Outcome(bool Accepted, double LogAcceptRatio, int Evaluations);

    /// <summary>One transition from <paramref name="position"/> (log p = <paramref name="logDensity"/>); on acceptance both are replaced.</summary>
    public Outcome Step(float[] position, ref double logDensity, double scale, ReadOnlySpan<float> shape, ChainRandom random)
    {
        var d = _dimension;
        Propose(position, scale, shape, random, _proposals);
        EvaluateRows(_proposals, _proposalLogs);
        var logProposalWeight = LogSumExp(_proposalLogs);
        if (double.IsNegativeInfinity(logProposalWeight)) return new Outcome(false, double.NegativeInfinity, _proposals);

        var selected = Pick(_proposalLogs, logProposalWeight, random);
        var y = _selected;
        _points.AsSpan(selected * d, d).CopyTo(y);
        var logY = _proposalLogs[selected];

        // Reference points around y; the last one is x itself, whose log p is known.
        Propose(y, scale, shape, random, _proposals - 1);
        EvaluateRows(_proposals - 1, _referenceLogs);
        _referenceLogs[_proposals - 1] = logDensity;
        var logAcceptRatio = logProposalWeight - LogSumExp(_referenceLogs);
        var accepted = Math.Log(random.NextOpenDouble()) < logAcceptRatio;
        if (accepted)
        {
            y.CopyTo(position, 0);
            logDensity = logY;
        }
        return new Outcome(accepted, logAcceptRatio, 2 * _proposals - 1);
    }

    /// <summary>Rows 0..count−1 of the point buffer: centre + σ·s⊙ξ with fresh standard normal ξ.</summary>
    private void Propose(ReadOnlySpan<float> centre, double scale, ReadOnlySpan<float> shape, ChainRandom random, int count)
    {
        var d = _dimension;
        var noise = _noise.AsSpan(0, count * d);
        random.FillGaussian(noise);
        for (var j = 0; j < count; j++)
        {
            var row = noise.Slice(j * d, d);
            TensorPrimitives.Multiply(row, shape, row);
            TensorPrimitives.MultiplyAdd(row, (float)scale, centre, _points.AsSpan(j * d, d));
        }
    }

    private void EvaluateRows(int count, double[] logs)
    {
        if (count == 0) return;
        var d = _dimension;
        var points = _points.AsSpan(0, count * d);
        if (_batch is not null) _batch.EvaluateValues(points, logs.AsSpan(0, count));
        else
            for (var j = 0; j < count; j++) logs[j] = _density.EvaluateValue(points.Slice(j * d, d));
    }

    /// <summary>log Σ exp(l_j) over the finite l_j (a non-finite log p has weight 0); −∞ when none is finite.</summary>
    internal static double LogSumExp(ReadOnlySpan<double> logs)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logs)
            if (double.IsFinite(l) && l > max) max = l;
        if (double.IsNegativeInfinity(max)) return max;
        var sum = 0.0;
        foreach (var l in logs)
            if (double.IsFinite(l)) sum += Math.Exp(l - max);
        return max + Math.Log(sum);
    }

    /// <summary>Index j drawn with probability exp(l_j − total) (non-finite l_j never).</summary>
    private static int Pick(ReadOnlySpan<double> logs, double total, ChainRandom random)
    {
        var u = random.NextOpenDouble();
        var last = 0;
        var cumulative = 0.0;
        for (var j = 0; j < logs.Length; j++)
        {
            if (!double.IsFinite(logs[j])) continue;
            last = j;
            cumulative += Math.Exp(logs[j] - total);
            if (u < cumulative) return j;
        }
        return last; // rounding left the cumulative sum just below u
    }
}
