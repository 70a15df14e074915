using System.CommandLine;

namespace OnnxRay.Cli.Commands;

/// <summary>The tool's subcommands, in the order `onnxray --help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create() =>
    [
        InspectCommand.Create(),
        GradientCommand.Create(),
        SampleCommand.Create(),
        DiagnoseCommand.Create(),
        PredictCommand.Create(),
        ServeCommand.Create(),
        PluginsCommand.Create(),
    ];
}
