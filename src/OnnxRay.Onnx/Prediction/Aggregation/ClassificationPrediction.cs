namespace OnnxRay.Onnx.Prediction.Aggregation;

/// <summary>
/// The posterior predictive of a classifier for a batch of examples (samplers.md §6.1). Arrays laid out
/// [examples × classes] are row-major. Entropies in nats.
/// </summary>
public sealed class ClassificationPrediction
{
    internal ClassificationPrediction(int examples, int classes, double[] probabilities, double[] logProbabilities, double[] expectedEntropy, int draws)
    {
        Examples = examples;
        Classes = classes;
        Probabilities = probabilities;
        LogProbabilities = logProbabilities;
        ExpectedEntropy = expectedEntropy;
        Draws = draws;
        PredictedClass = new int[examples];
        Confidence = new double[examples];
        PredictiveEntropy = new double[examples];
        MutualInformation = new double[examples];
        for (var n = 0; n < examples; n++)
        {
            var row = probabilities.AsSpan(n * classes, classes);
            var logRow = logProbabilities.AsSpan(n * classes, classes);
            var best = 0;
            var entropy = 0.0;
            for (var c = 0; c < classes; c++)
            {
                if (row[c] > row[best]) best = c;
                if (row[c] > 0) entropy -= row[c] * logRow[c];
            }
            PredictedClass[n] = best;
            Confidence[n] = row[best];
            PredictiveEntropy[n] = entropy;
            // MI ≥ 0 by Jensen's inequality; tiny negatives are rounding.
            MutualInformation[n] = Math.Max(0.0, entropy - expectedEntropy[n]);
        }
    }

    /// <summary>Number of examples.</summary>
    public int Examples { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Number of draws aggregated.</summary>
    public int Draws { get; }

    /// <summary>p̄(c|x) = Σ_s w_s·p_s(c|x)/Σw, [examples × classes].</summary>
    public double[] Probabilities { get; }

    /// <summary>ln p̄(c|x), computed by log-sum-exp (exact even where p̄ underflows), [examples × classes].</summary>
    public double[] LogProbabilities { get; }

    /// <summary>argmax_c p̄(c|x) (lowest index on ties).</summary>
    public int[] PredictedClass { get; }

    /// <summary>max_c p̄(c|x).</summary>
    public double[] Confidence { get; }

    /// <summary>Total predictive entropy H[p̄].</summary>
    public double[] PredictiveEntropy { get; }

    /// <summary>Expected (aleatoric) entropy E_s H[p_s].</summary>
    public double[] ExpectedEntropy { get; }

    /// <summary>Mutual information (epistemic, BALD) H[p̄] − E_s H[p_s], clamped at 0.</summary>
    public double[] MutualInformation { get; }

    /// <summary>p̄(·|x) of one example.</summary>
    public ReadOnlySpan<double> ProbabilitiesOf(int example) => Probabilities.AsSpan(example * Classes, Classes);

    /// <summary>Log predictive density ln p̄(y|x) of one example.</summary>
    public double LogPredictiveDensity(int example, int label)
    {
        if ((uint)label >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(label), label, $"label must be in [0, {Classes})");
        return LogProbabilities[example * Classes + label];
    }

    /// <summary>ln p̄(y_i|x_i) for every example.</summary>
    public double[] LogPredictiveDensities(ReadOnlySpan<int> labels)
    {
        if (labels.Length != Examples) throw new ArgumentException($"expected {Examples} labels, got {labels.Length}", nameof(labels));
        var result = new double[Examples];
        for (var n = 0; n < Examples; n++) result[n] = LogPredictiveDensity(n, labels[n]);
        return result;
    }
}
