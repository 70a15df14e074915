using System.Globalization;
using System.Text;
using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Storage;

/// <summary>
/// One row of <c>chain-K/stats.csv</c>: the transition that produced stored draw <see cref="Draw"/>. The last column,
/// energy (the Hamiltonian, for E-BFMI), is empty for kernels without one; rows written before it existed have 10
/// fields and still parse.
/// </summary>
public readonly record struct DrawStats(long Draw, StepInfo Step)
{
    public const string FileName = "stats.csv";

    /// <summary>The CSV header line (with its newline).</summary>
    public const string Header =
        "draw,log_p,accepted,acceptance_probability,step_size,energy_error,integration_steps,gradient_evaluations,density_evaluations,divergent,energy\n";

    /// <summary>Appends this row (with its newline) in invariant, round-trip format.</summary>
    public void AppendTo(StringBuilder builder)
    {
        var c = CultureInfo.InvariantCulture;
        builder.Append(Draw.ToString(c)).Append(',')
            .Append(Step.LogDensity.ToString("R", c)).Append(',')
            .Append(Step.Accepted ? '1' : '0').Append(',')
            .Append(Step.AcceptanceProbability.ToString("R", c)).Append(',')
            .Append(Step.StepSize.ToString("R", c)).Append(',')
            .Append(Step.EnergyError.ToString("R", c)).Append(',')
            .Append(Step.IntegrationSteps.ToString(c)).Append(',')
            .Append(Step.GradientEvaluations.ToString(c)).Append(',')
            .Append(Step.DensityEvaluations.ToString(c)).Append(',')
            .Append(Step.Divergent ? '1' : '0').Append(',')
            .Append(Step.Energy is { } energy ? energy.ToString("R", c) : "").Append('\n');
    }

    /// <summary>Parses one data line written by <see cref="AppendTo"/>.</summary>
    public static DrawStats Parse(string line, string fileForErrors, int lineNumber)
    {
        var f = line.Split(',');
        if (f.Length is not (10 or 11)) throw new RunFolderException(fileForErrors, $"line {lineNumber} has {f.Length} fields, expected 11 (10 before the energy column).");
        try
        {
            var c = CultureInfo.InvariantCulture;
            return new DrawStats(long.Parse(f[0], c), new StepInfo
            {
                LogDensity = double.Parse(f[1], c),
                Accepted = f[2] == "1",
                AcceptanceProbability = double.Parse(f[3], c),
                StepSize = double.Parse(f[4], c),
                EnergyError = double.Parse(f[5], c),
                IntegrationSteps = int.Parse(f[6], c),
                GradientEvaluations = int.Parse(f[7], c),
                DensityEvaluations = int.Parse(f[8], c),
                Divergent = f[9] == "1",
                Energy = f.Length > 10 && f[10].Length > 0 ? double.Parse(f[10], c) : null,
            });
        }
        catch (FormatException e)
        {
            throw new RunFolderException(fileForErrors, $"line {lineNumber} is malformed: {e.Message}", e);
        }
    }
}
