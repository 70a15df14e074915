using System.CommandLine;
using OnnxRay.Sampling.Plugins;
using Spectre.Console;

namespace OnnxRay.Cli.Commands;

/// <summary><c>onnxray plugins</c>: every sampler found (name, version, folder, options with defaults) and every plugin that failed to load.</summary>
internal static class PluginsCommand
{
    public static Command Create()
    {
        var plugins = SharedOptions.PluginFolders();
        var command = new Command("plugins", "List the sampler plugins, their options and defaults, and any plugin that failed to load.") { plugins };
        command.SetAction(parse => CliAction.Run(() =>
        {
            using var catalog = PluginCatalog.LoadStandard(parse.GetValue(plugins));
            Write(catalog);
            return 0;
        }));
        return command;
    }

    private static void Write(PluginCatalog catalog)
    {
        foreach (var sampler in catalog.Samplers)
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(sampler.Name)}[/] {Markup.Escape(sampler.Version)}  {Markup.Escape(sampler.Description)}");
            AnsiConsole.MarkupLine($"  [grey]from {Markup.Escape(sampler.SourceFolder)}[/]");
            var table = new Table().Border(TableBorder.Simple).AddColumns("option", "type", "default", "description");
            foreach (var option in sampler.Options)
                table.AddRow(Markup.Escape(option.Name), Markup.Escape(option.TypeDisplayName), Markup.Escape(option.DefaultValue ?? "(none)"), Markup.Escape(option.Description));
            AnsiConsole.Write(table);
        }
        if (catalog.Samplers.Count == 0) AnsiConsole.MarkupLine("[yellow]No samplers found.[/]");
        foreach (var problem in catalog.Problems)
            AnsiConsole.MarkupLine($"[red]plugin failed ({problem.Kind}):[/] {Markup.Escape(problem.Message)}");
    }
}
