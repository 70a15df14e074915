using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxRay.Sampling.Posterior;
using Spectre.Console;

namespace OnnxRay.Cli.Commands;

/// <summary>
/// <c>onnxray diagnose RUN/</c>: split rank-normalised R̂, bulk/tail ESS and τ for log p, random projections of θ and
/// model outputs on a probe batch; acceptance and divergences per chain; <c>RUN/diagnostics.json</c> and <c>RUN/plots/*.png</c>.
/// </summary>
internal static class DiagnoseCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder (may still be running: complete chunks are used)." };
        var projections = new Option<int>("--projections") { Description = "Random directions in θ-space to diagnose.", DefaultValueFactory = _ => 8 };
        var probe = new Option<int>("--probe-examples") { Description = "Training examples whose outputs are diagnosed (0: none).", DefaultValueFactory = _ => 4 };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the PNG plots." };
        var command = new Command("diagnose", "Convergence diagnostics of a run: R-hat, ESS, autocorrelation time, divergences, plots.")
        {
            run, projections, probe, noPlots,
        };
        command.SetAction(parse => CliAction.Run(() =>
        {
            var folder = parse.GetValue(run)!;
            var plots = parse.GetValue(noPlots) ? null : Path.Combine(folder, "plots");
            var diagnosis = RunDiagnosis.Compute(folder, parse.GetValue(projections), parse.GetValue(probe), plotsFolder: plots);
            Write(diagnosis);
            var jsonPath = Path.Combine(folder, "diagnostics.json");
            var json = JsonSerializer.Serialize(diagnosis, new JsonSerializerOptions
            {
                WriteIndented = true,
                NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
                PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            });
            var temp = jsonPath + ".tmp";
            File.WriteAllText(temp, json);
            File.Move(temp, jsonPath, overwrite: true);
            Console.WriteLine($"Wrote {jsonPath}{(plots is null ? "" : $" and {diagnosis.Plots.Count} plots in {plots}")}");
            return 0;
        }));
        return command;
    }

    private static void Write(RunDiagnosis d)
    {
        AnsiConsole.MarkupLine($"[bold]{d.Chains} chains × {d.DrawsPerChain} draws[/]; converged (R̂ < 1.01, ESS > 400): {d.FractionConverged:P0} of {d.Quantities.Count} quantities");
        var table = new Table().Border(TableBorder.Simple).AddColumns("quantity", "mean", "sd", "5%", "95%", "R̂", "ESS bulk", "ESS tail", "τ");
        foreach (var q in d.Quantities)
            table.AddRow(Markup.Escape(q.Name), F(q.Mean, "G4"), F(q.Sd, "G3"), F(q.Q5, "G4"), F(q.Q95, "G4"),
                q.Rhat < 1.01 ? F(q.Rhat, "F3") : $"[yellow]{F(q.Rhat, "F3")}[/]", F(q.EssBulk, "F0"), F(q.EssTail, "F0"), F(q.Tau, "F1"));
        AnsiConsole.Write(table);
        var chains = new Table().Border(TableBorder.Simple).AddColumns("chain", "draws", "acceptance", "divergences", "gradients", "step size", "E-BFMI");
        foreach (var c in d.ChainStats)
            chains.AddRow(c.Chain.ToString(CultureInfo.InvariantCulture), c.Draws.ToString(CultureInfo.InvariantCulture), F(c.AcceptanceRate, "P1"),
                c.Divergences.ToString(CultureInfo.InvariantCulture), c.GradientEvaluations.ToString("N0", CultureInfo.InvariantCulture), F(c.FinalStepSize, "G3"),
                Sampling.Diagnostics.EnergyBfmi.IsLow(c.EnergyBfmi) ? $"[yellow]{F(c.EnergyBfmi, "F2")}[/]" : F(c.EnergyBfmi, "F2"));
        AnsiConsole.Write(chains);
        foreach (var w in d.Warnings) AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
    }

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
