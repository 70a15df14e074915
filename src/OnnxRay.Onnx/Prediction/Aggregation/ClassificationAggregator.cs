namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// Streaming posterior-predictive aggregation for classification (samplers.md §6.1). Feed one draw at a time —
/// class probabilities or logits for a batch of examples, laid out [examples × classes] — with an optional weight
/// w_s ≥ 0 (weights need not sum to 1). Memory is O(examples × classes), independent of the number of draws.
/// The mean is accumulated in log space, ln p̄_c = logsumexp_s(ln w_s + ln p_s,c) − ln Σw, so tiny probabilities survive.
/// </summary>
public sealed class ClassificationAggregator
{
    private readonly LogSumExpAccumulator[] _logMean;  // [examples × classes], un-normalised by Σw
    private readonly double[] _weightedEntropy;         // Σ_s w_s·H[p_s] per example
    private readonly double[] _logRow;                  // scratch: ln p_s,c for one example

    /// <summary>An empty aggregate for <paramref name="examples"/> examples of <paramref name="classes"/> classes.</summary>
    public ClassificationAggregator(int examples, int classes)
    {
        if (examples <= 0) throw new ArgumentOutOfRangeException(nameof(examples), examples, "must be positive");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least two classes");
        Examples = examples;
        Classes = classes;
        _logMean = new LogSumExpAccumulator[checked(examples * classes)];
        _weightedEntropy = new double[examples];
        _logRow = new double[classes];
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
    public void AddProbabilities(ReadOnlySpan<double> probabilities, double weight = 1.0)
    {
        CheckLength(probabilities.Length);
        DrawWeight.Validate(weight);
        for (var n = 0; n < Examples; n++)
        {
            var row = probabilities.Slice(n * Classes, Classes);
            for (var c = 0; c < Classes; c++)
            {
                var p = row[c];
                if (!(p >= 0 && p <= 1 + 1e-6)) throw new ArgumentException($"example {n}, class {c}: probability {p} is not in [0, 1]", nameof(probabilities));
                _logRow[c] = Math.Log(p);
            }
            Accumulate(n, weight);
        }
        Count(weight);
    }

    /// <summary>Adds one draw's class probabilities from a float tensor, [examples × classes].</summary>
    public void AddProbabilities(ReadOnlySpan<float> probabilities, double weight = 1.0) =>
        AddProbabilities(Widen(probabilities), weight);

    /// <summary>Adds one draw's logits, [examples × classes]; a stable log-softmax turns them into ln p_s,c.</summary>
    public void AddLogits(ReadOnlySpan<double> logits, double weight = 1.0)
    {
        CheckLength(logits.Length);
        DrawWeight.Validate(weight);
        for (var n = 0; n < Examples; n++)
        {
            var row = logits.Slice(n * Classes, Classes);
            foreach (var l in row)
                if (double.IsNaN(l) || double.IsPositiveInfinity(l)) throw new ArgumentException($"example {n}: logit {l} is not usable", nameof(logits));
            Softmax.Log(row, _logRow);
            Accumulate(n, weight);
        }
        Count(weight);
    }

    /// <summary>Adds one draw's logits from a float tensor, [examples × classes].</summary>
    public void AddLogits(ReadOnlySpan<float> logits, double weight = 1.0) => AddLogits(Widen(logits), weight);

    /// <summary>The aggregate so far. Throws if no weight has been added.</summary>
    public ClassificationPrediction Result()
    {
        if (!(TotalWeight > 0)) throw new InvalidOperationException("no draws with positive weight have been added");
        var logTotal = Math.Log(TotalWeight);
        var logMean = new double[_logMean.Length];
        var mean = new double[_logMean.Length];
        var expectedEntropy = new double[Examples];
        for (var i = 0; i < logMean.Length; i++)
        {
            logMean[i] = _logMean[i].Value - logTotal;
            mean[i] = Math.Exp(logMean[i]);
        }
        for (var n = 0; n < Examples; n++) expectedEntropy[n] = _weightedEntropy[n] / TotalWeight;
        return new ClassificationPrediction(Examples, Classes, mean, logMean, expectedEntropy, DrawCount);
    }

    private void Accumulate(int example, double weight)
    {
        if (weight == 0) return;
        var logWeight = Math.Log(weight);
        var entropy = 0.0;
        var offset = example * Classes;
        for (var c = 0; c < Classes; c++)
        {
            var lp = _logRow[c];
            _logMean[offset + c].Add(logWeight + lp);
            if (!double.IsNegativeInfinity(lp)) entropy -= Math.Exp(lp) * lp; // 0·ln 0 = 0
        }
        _weightedEntropy[example] += weight * entropy;
    }

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

    private static double[] Widen(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
