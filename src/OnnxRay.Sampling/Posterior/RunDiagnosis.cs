using OnnxRay.Onnx.Prediction;
using OnnxRay.Sampling.Diagnostics;
using OnnxRay.Sampling.Plots;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Posterior;

/// <summary>
/// Per-chain sampler statistics over the stored draws. <see cref="EnergyBfmi"/> is the energy Bayesian fraction of
/// missing information (samplers.md §2.1), NaN when the sampler records no Hamiltonian (every kernel but HMC).
/// </summary>
public sealed record ChainDiagnosis(int Chain, long Draws, double AcceptanceRate, long Divergences, long GradientEvaluations, double FinalStepSize,
    double EnergyBfmi = double.NaN);

/// <summary>
/// Convergence diagnostics of a run folder (samplers.md §5): R̂, bulk/tail ESS and τ for log p, for fixed random
/// projections of θ (proj[k]), and for model outputs on a probe batch (out[k]); per-chain acceptance and divergences; PNG plots.
/// Uses complete chunks only, so it works while chains are still running (chains are cut to a common length).
/// </summary>
public sealed record RunDiagnosis(
    int Chains,
    int DrawsPerChain,
    IReadOnlyList<QuantitySummary> Quantities,
    IReadOnlyList<ChainDiagnosis> ChainStats,
    IReadOnlyList<string> Plots,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Fraction of the quantities with R̂ &lt; 1.01 and both ESS &gt; 400.</summary>
    public double FractionConverged => Quantities.Count == 0 ? double.NaN : Quantities.Count(q => q.IsConverged) / (double)Quantities.Count;

    /// <param name="runFolder">The run folder.</param>
    /// <param name="projections">Number of random unit directions in θ-space.</param>
    /// <param name="probeExamples">Training examples whose outputs are diagnosed (0: skip outputs).</param>
    /// <param name="maxOutputs">At most this many output values are diagnosed.</param>
    /// <param name="plotsFolder">Where PNGs go (null: no plots).</param>
    public static RunDiagnosis Compute(string runFolder, int projections = 8, int probeExamples = 4, int maxOutputs = 16, string? plotsFolder = null)
    {
        using var folder = RunFolder.Open(runFolder, allowUnstartedChains: true);
        var warnings = new List<string>();
        // A shared run folder (one cluster array task per chain) may have chains whose task has not started yet, or has
        // not committed a chunk yet: those are left out with a warning, the others are diagnosed.
        var notStarted = folder.Chains.Where(c => !c.IsStarted).Select(c => c.ChainIndex).ToList();
        var empty = folder.Chains.Where(c => c.IsStarted && c.DrawCount == 0).Select(c => c.ChainIndex).ToList();
        if (notStarted.Count > 0) warnings.Add($"chain(s) {string.Join(", ", notStarted)} not started yet: skipped.");
        if (empty.Count > 0) warnings.Add($"chain(s) {string.Join(", ", empty)} have no complete chunk yet: skipped.");
        var chains = folder.Chains.Where(c => c.DrawCount > 0).ToList();
        if (chains.Count == 0) throw new RunFolderException(runFolder, "has no chain with a complete chunk yet; diagnostics need at least 4 draws per chain.");
        var n = (int)chains.Min(c => c.DrawCount);
        if (n < 4)
            throw new RunFolderException(runFolder, $"has {n} complete draws in its shortest chain; diagnostics need at least 4 per chain.");
        if (chains.Any(c => c.DrawCount > n)) warnings.Add($"chains have different lengths; all are cut to the shortest ({n} draws).");

        var quantities = new List<QuantitySummary>();
        var series = new Dictionary<string, double[][]>(StringComparer.Ordinal);
        var stats = chains.Select(c => c.ReadStats()).ToList();
        series["log_p"] = stats.Select(s => s.Take(n).Select(r => r.Step.LogDensity).ToArray()).ToArray();

        var directions = new RandomProjections(folder.Manifest.Dimension, projections, folder.Manifest.Seed ^ 0xD1A6);
        var projected = new double[projections][][];
        for (var k = 0; k < projections; k++) projected[k] = new double[chains.Count][];
        var draw = new float[folder.Manifest.Dimension];
        var values = new double[projections];
        for (var c = 0; c < chains.Count; c++)
        {
            for (var k = 0; k < projections; k++) projected[k][c] = new double[n];
            for (var i = 0; i < n; i++)
            {
                chains[c].ReadDraw(i, draw);
                directions.Project(draw, values);
                for (var k = 0; k < projections; k++) projected[k][c][i] = values[k];
            }
        }
        for (var k = 0; k < projections; k++) series[$"proj[{k}]"] = projected[k];

        if (probeExamples > 0)
            foreach (var (name, s) in OutputSeries(runFolder, chains.Select(c => c.ChainIndex).ToArray(), n, probeExamples, maxOutputs, warnings)) series[name] = s;

        foreach (var (name, s) in series) quantities.Add(PosteriorSummary.Summarize(name, s));

        var chainStats = stats.Select((s, c) =>
        {
            var rows = s.Take(n).ToList();
            var bfmi = rows.All(r => r.Step.Energy.HasValue) ? Diagnostics.EnergyBfmi.Compute(rows.Select(r => r.Step.Energy!.Value).ToArray()) : double.NaN;
            return new ChainDiagnosis(chains[c].ChainIndex, rows.Count, rows.Average(r => r.Step.AcceptanceProbability), rows.Count(r => r.Step.Divergent),
                rows.Sum(r => (long)r.Step.GradientEvaluations), rows[^1].Step.StepSize, bfmi);
        }).ToList();
        var divergences = chainStats.Sum(c => c.Divergences);
        if (divergences > 0) warnings.Add($"{divergences} divergent transitions after warm-up: the posterior geometry may be biased; reduce the step size.");
        var lowBfmi = chainStats.Where(c => Diagnostics.EnergyBfmi.IsLow(c.EnergyBfmi)).ToList();
        if (lowBfmi.Count > 0)
            warnings.Add($"E-BFMI below {Diagnostics.EnergyBfmi.WarningThreshold} in chain(s) " +
                         string.Join(", ", lowBfmi.Select(c => $"{c.Chain} ({c.EnergyBfmi.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)})")) +
                         ": momentum resampling explores the energy poorly (heavy tails or a poor metric); reparameterise or adapt the metric longer.");
        var unconverged = quantities.Where(q => !q.IsConverged).Select(q => q.Name).ToList();
        if (unconverged.Count > 0)
            warnings.Add($"{unconverged.Count} of {quantities.Count} quantities are not converged (need R̂ < 1.01 and bulk and tail ESS > 400): " +
                         $"{string.Join(", ", unconverged)}. Run longer chains (more --draws) or more chains.");

        var plots = new List<string>();
        if (plotsFolder is not null)
        {
            Directory.CreateDirectory(plotsFolder);
            foreach (var name in new[] { "log_p", "proj[0]" }.Concat(series.Keys.Where(k => k.StartsWith("out[", StringComparison.Ordinal)).Take(1)))
            {
                var file = FileName(name);
                var s = series[name];
                plots.Add(TracePlot.Write(s, Path.Combine(plotsFolder, $"trace-{file}.png"), $"Trace: {name}"));
                plots.Add(AutocorrelationPlot.Write(s, Path.Combine(plotsFolder, $"autocorrelation-{file}.png"), $"Autocorrelation: {name}", Math.Min(100, n - 1)));
                plots.Add(RankPlot.Write(s, Path.Combine(plotsFolder, $"rank-{file}.png"), $"Rank plot: {name}"));
            }
        }
        return new RunDiagnosis(chains.Count, n, quantities, chainStats, plots, warnings);
    }

    /// <summary>The model's outputs on the first training examples, per draw, as chains of scalar series.</summary>
    private static IEnumerable<(string Name, double[][] Series)> OutputSeries(string runFolder, int[] chainNumbers, int n, int probeExamples, int maxOutputs, List<string> warnings)
    {
        RunPosterior posterior;
        try
        {
            posterior = RunPosterior.Open(runFolder, null, new PredictorOptions { KeepPerDrawOutputs = true });
        }
        catch (Exception e) when (e is Onnx.Errors.OnnxRayException or IOException)
        {
            warnings.Add($"model outputs not diagnosed: {e.Message}");
            yield break;
        }
        using (posterior)
        {
            var data = PosteriorProblem.LoadData(posterior.Definition.DataPath, posterior.Predictor.Model, posterior.Definition.TargetColumn, false);
            var rows = (int)Math.Min(probeExamples, data.Count);
            var probe = data.Rows(0, rows).Where(a => a.Key != "target").ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
            var chains = chainNumbers.Length;
            var selected = new FirstDraws(posterior.Draws, chainNumbers, n);
            var result = posterior.Predictor.Predict(probe, selected);
            var perDraw = result.PerDrawOutputs!;
            var outputsPerDraw = perDraw.Length / selected.Count;
            for (var o = 0; o < Math.Min(maxOutputs, outputsPerDraw); o++)
            {
                var s = new double[chains][];
                for (var c = 0; c < chains; c++)
                {
                    s[c] = new double[n];
                    for (var i = 0; i < n; i++) s[c][i] = perDraw[(long)(c * n + i) * outputsPerDraw + o];
                }
                yield return ($"out[{o}]", s);
            }
        }
    }

    private static string FileName(string name) => new(name.Select(ch => char.IsLetterOrDigit(ch) || ch == '_' ? ch : '-').ToArray());

    /// <summary>The first <c>n</c> draws of each given chain, chain-major, from a source holding every draw chain-major.</summary>
    private sealed class FirstDraws : IDrawSource
    {
        private readonly RunDrawSource _all;
        private readonly int _n;
        private readonly int[] _chainStart;

        public FirstDraws(RunDrawSource all, int[] chainNumbers, int n)
        {
            _all = all;
            _n = n;
            _chainStart = new int[chainNumbers.Length];
            for (var i = 0; i < all.Count; i++)
                if (all.Selected[i].Draw == 0 && Array.IndexOf(chainNumbers, all.Selected[i].Chain) is var slot and >= 0) _chainStart[slot] = i;
        }

        public int Count => _chainStart.Length * _n;
        public int Dimension => _all.Dimension;
        public void Read(int index, Span<float> destination) => _all.Read(_chainStart[index / _n] + index % _n, destination);
    }
}
