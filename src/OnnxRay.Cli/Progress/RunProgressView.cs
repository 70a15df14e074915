using System.Globalization;
using OnnxRay.Sampling.Driver;
using Spectre.Console;

namespace OnnxRay.Cli.Progress;

/// <summary>
/// Shows chain progress while a run executes: a live Spectre.Console table on a terminal, plain periodic lines
/// (one per chain) when stdout is redirected, e.g. into a log file or CI.
/// </summary>
internal static class RunProgressView
{
    public static SamplingRunResult Show(Func<IProgress<ChainProgress>, Task<SamplingRunResult>> run)
    {
        var board = new ChainProgressBoard();
        var task = run(board);
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            var last = DateTime.UtcNow;
            while (!task.Wait(TimeSpan.FromMilliseconds(250)))
            {
                if (DateTime.UtcNow - last < TimeSpan.FromSeconds(10)) continue;
                last = DateTime.UtcNow;
                foreach (var p in board.Snapshot()) Console.WriteLine(Line(p));
            }
            foreach (var p in board.Snapshot()) Console.WriteLine(Line(p));
        }
        else
        {
            AnsiConsole.Live(Table(board.Snapshot())).AutoClear(false).Start(ctx =>
            {
                while (!task.Wait(TimeSpan.FromMilliseconds(250))) ctx.UpdateTarget(Table(board.Snapshot()));
                ctx.UpdateTarget(Table(board.Snapshot()));
            });
        }
        return task.GetAwaiter().GetResult();
    }

    private static Table Table(IReadOnlyList<ChainProgress> chains)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("chain", "phase", "progress", "draws/s", "accept", "step size", "log p", "diverg.", "ETA");
        foreach (var p in chains)
            table.AddRow(p.Chain.ToString(CultureInfo.InvariantCulture), p.Phase.ToString(), $"{p.StepsDone}/{p.StepsTotal}",
                F(p.StepsPerSecond, "F1"), F(p.AcceptanceRate, "P0"), F(p.StepSize, "G3"), F(p.LogDensity, "F2"),
                p.Divergences.ToString(CultureInfo.InvariantCulture), Eta(p.Eta));
        return table;
    }

    private static string Line(ChainProgress p) =>
        $"chain {p.Chain} {p.Phase,-8} {p.StepsDone}/{p.StepsTotal} draws {p.DrawsDone}/{p.DrawsTotal} " +
        $"{F(p.StepsPerSecond, "F1")}/s accept {F(p.AcceptanceRate, "P0")} step {F(p.StepSize, "G3")} log p {F(p.LogDensity, "F2")} " +
        $"divergences {p.Divergences} ETA {Eta(p.Eta)}";

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Eta(TimeSpan? eta) => eta is { } e ? e.ToString(e.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "-";
}
