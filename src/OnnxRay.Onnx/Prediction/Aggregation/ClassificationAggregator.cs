using System.Numerics;
using System.Numerics.Tensors;

namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// Streaming posterior-predictive aggregation for classification (samplers.md §6.1). Feed one draw at a time —
/// class probabilities or logits for a batch of examples, laid out [examples × classes] — with an optional weight
/// w_s ≥ 0 (weights need not sum to 1). Memory is O(examples × classes), independent of the number of draws.
/// Each term w_s·p_s,c of the mean is added linearly in double precision while it is a normal number (≥ e^−700);
/// smaller terms go to a log-sum-exp accumulator, so ln p̄ stays exact where p̄ underflows. Logits cost one
/// (vectorised) exp each: softmax, entropy and the mean all come from e_c = exp(l_c − max).
/// </summary>
public sealed class ClassificationAggregator
{
    /// <summary>ln of the smallest term added linearly; e^−700 ≈ 1e−304 is a normal double with full precision.</summary>
    private const double LinearLogFloor = -700;

    private readonly double[] _sum;                   // Σ_s w_s·p_s,c of the linear terms, [examples × classes]
    private LogSumExpAccumulator[]? _tinySum;         // ln Σ of the terms below e^LinearLogFloor, made on first use
    private readonly double[] _weightedEntropy;       // Σ_s w_s·H[p_s] per example
    private readonly double[] _shifted;               // scratch: l − max(row), [examples × classes]
    private readonly double[] _exps;                  // scratch: exp(l − max(row))
    private readonly double[] _rowSum;                // scratch per example: Σ_c e_c
    private readonly double[] _rowLogSum;             //   ln Σ_c e_c
    private readonly double[] _rowDot;                //   Σ_c e_c·d_c
    private readonly double[] _rowMin;                //   min_c d_c

    /// <summary>An empty aggregate for <paramref name="examples"/> examples of <paramref name="classes"/> classes.</summary>
    public ClassificationAggregator(int examples, int classes)
    {
        if (examples <= 0) throw new ArgumentOutOfRangeException(nameof(examples), examples, "must be positive");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least two classes");
        Examples = examples;
        Classes = classes;
        var length = checked(examples * classes);
        _sum = new double[length];
        _weightedEntropy = new double[examples];
        _shifted = new double[length];
        _exps = new double[length];
        _rowSum = new double[examples];
        _rowLogSum = new double[examples];
        _rowDot = new double[examples];
        _rowMin = new double[examples];
    }

    /// <summary>Number of examples per draw.</summary>
    public int Examples { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Draws added so far (including zero-weight draws).</summary>
    public int DrawCount { get; private set; }

    /// <summary>Σ w_s over the draws added so far.</summary>
    public double TotalWeight { get; private set; }

    /// <summary>Adds one draw's class probabilities p_s(c|x), [examples × classes].</summary>
    public void AddProbabilities(ReadOnlySpan<double> probabilities, double weight = 1.0) => AddProbabilitiesOf(probabilities, weight);

    /// <summary>Adds one draw's class probabilities from a float tensor, [examples × classes].</summary>
    public void AddProbabilities(ReadOnlySpan<float> probabilities, double weight = 1.0) => AddProbabilitiesOf(probabilities, weight);

    /// <summary>Adds one draw's logits, [examples × classes]; softmax turns them into p_s,c.</summary>
    public void AddLogits(ReadOnlySpan<double> logits, double weight = 1.0) => AddLogitsOf(logits, weight);

    /// <summary>Adds one draw's logits from a float tensor, [examples × classes].</summary>
    public void AddLogits(ReadOnlySpan<float> logits, double weight = 1.0) => AddLogitsOf(logits, weight);

    /// <summary>The aggregate so far. Throws if no weight has been added.</summary>
    public ClassificationPrediction Result()
    {
        if (!(TotalWeight > 0)) throw new InvalidOperationException("no draws with positive weight have been added");
        var logTotal = Math.Log(TotalWeight);
        var logMean = new double[_sum.Length];
        var mean = new double[_sum.Length];
        var expectedEntropy = new double[Examples];
        for (var i = 0; i < logMean.Length; i++)
        {
            if (_tinySum is null || _tinySum[i].Value == double.NegativeInfinity)
            {
                mean[i] = _sum[i] / TotalWeight;
                logMean[i] = Math.Log(_sum[i]) - logTotal;
                continue;
            }
            var tiny = new LogSumExpAccumulator();
            tiny.Add(_tinySum[i].Value);
            tiny.Add(Math.Log(_sum[i]));
            logMean[i] = tiny.Value - logTotal;
            mean[i] = Math.Exp(logMean[i]);
        }
        for (var n = 0; n < Examples; n++) expectedEntropy[n] = _weightedEntropy[n] / TotalWeight;
        return new ClassificationPrediction(Examples, Classes, mean, logMean, expectedEntropy, DrawCount);
    }

    private void AddLogitsOf<T>(ReadOnlySpan<T> logits, double weight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(logits.Length);
        DrawWeight.Validate(weight);
        ShiftByRowMax(logits);
        Count(weight);
        if (weight == 0) return;
        TensorPrimitives.Exp(_shifted, _exps);
        RowSums();
        TensorPrimitives.Log(_rowSum, _rowLogSum);
        var logWeight = Math.Log(weight);
        for (var n = 0; n < Examples; n++) AccumulateRow(n, weight, logWeight);
    }

    /// <summary>Validates the logits and writes d = l − max(row) to the scratch (exactly, in double).</summary>
    private void ShiftByRowMax<T>(ReadOnlySpan<T> logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var n = 0; n < Examples; n++)
        {
            var row = logits.Slice(n * Classes, Classes);
            var shifted = _shifted.AsSpan(n * Classes, Classes);
            var max = double.NegativeInfinity;
            var min = double.PositiveInfinity;
            var unusable = false;
            for (var c = 0; c < shifted.Length; c++)
            {
                var l = double.CreateTruncating(row[c]);
                shifted[c] = l;
                unusable |= !(l < double.PositiveInfinity); // NaN or +∞
                max = l > max ? l : max;
                min = l < min ? l : min;
            }
            if (unusable || max == double.NegativeInfinity) ThrowUnusable(n, shifted);
            for (var c = 0; c < shifted.Length; c++) shifted[c] -= max;
            _rowMin[n] = min - max;
        }
    }

    private static void ThrowUnusable(int example, ReadOnlySpan<double> row)
    {
        foreach (var l in row)
            if (!(l < double.PositiveInfinity)) throw new ArgumentException($"example {example}: logit {l} is not usable", "logits");
        throw new ArgumentException($"example {example}: every logit is −∞", "logits");
    }

    /// <summary>Σe and Σ e·d per row (0 for the e = 0 of d = −∞, where e·d would be NaN).</summary>
    private void RowSums()
    {
        for (var n = 0; n < Examples; n++)
        {
            var shifted = _shifted.AsSpan(n * Classes, Classes);
            var exps = _exps.AsSpan(n * Classes, Classes);
            var sum = 0.0;
            var dot = 0.0;
            for (var c = 0; c < exps.Length; c++)
            {
                sum += exps[c];
                dot += exps[c] * shifted[c];
            }
            if (double.IsNaN(dot))
            {
                dot = 0;
                for (var c = 0; c < exps.Length; c++) if (exps[c] > 0) dot += exps[c] * shifted[c];
            }
            _rowSum[n] = sum;
            _rowDot[n] = dot;
        }
    }

    /// <summary>
    /// With d_c = l_c − max and e_c = exp(d_c): p_c = e_c/Σe, ln p_c = d_c − ln Σe, H = ln Σe − Σ e_c·d_c/Σe.
    /// </summary>
    private void AccumulateRow(int example, double weight, double logWeight)
    {
        var offset = example * Classes;
        var shifted = _shifted.AsSpan(offset, Classes);
        var exps = _exps.AsSpan(offset, Classes);
        var logSum = _rowLogSum[example];
        var inverseSum = 1 / _rowSum[example];
        _weightedEntropy[example] += weight * (logSum - _rowDot[example] * inverseSum);
        var scale = weight * inverseSum;
        var linearFrom = LinearLogFloor + logSum - logWeight; // d_c ≥ this ⇔ w·p_c ≥ e^LinearLogFloor
        var total = _sum.AsSpan(offset, Classes);
        if (_rowMin[example] >= linearFrom)
        {
            for (var c = 0; c < total.Length; c++) total[c] += exps[c] * scale;
            return;
        }
        for (var c = 0; c < total.Length; c++)
        {
            if (shifted[c] >= linearFrom) total[c] += exps[c] * scale;
            else AddTiny(offset + c, logWeight + (shifted[c] - logSum));
        }
    }

    private void AddProbabilitiesOf<T>(ReadOnlySpan<T> probabilities, double weight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(probabilities.Length);
        DrawWeight.Validate(weight);
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = double.CreateTruncating(probabilities[i]);
            if (!(p >= 0 && p <= 1 + 1e-6))
                throw new ArgumentException($"example {i / Classes}, class {i % Classes}: probability {p} is not in [0, 1]", nameof(probabilities));
        }
        Count(weight);
        if (weight == 0) return;
        var logWeight = Math.Log(weight);
        for (var n = 0; n < Examples; n++)
        {
            var entropy = 0.0;
            for (var c = 0; c < Classes; c++)
            {
                var i = n * Classes + c;
                var p = double.CreateTruncating(probabilities[i]);
                var logP = Math.Log(p);
                if (p > 0) entropy -= p * logP; // 0·ln 0 = 0
                if (logWeight + logP >= LinearLogFloor) _sum[i] += weight * p;
                else AddTiny(i, logWeight + logP);
            }
            _weightedEntropy[n] += weight * entropy;
        }
    }

    private void AddTiny(int index, double logTerm) => (_tinySum ??= new LogSumExpAccumulator[_sum.Length])[index].Add(logTerm);

    private void Count(double weight)
    {
        DrawCount++;
        TotalWeight += weight;
    }

    private void CheckLength(int length)
    {
        if (length != Examples * Classes)
            throw new ArgumentException($"a draw must hold examples × classes = {Examples} × {Classes} = {Examples * Classes} values, got {length}");
    }
}
