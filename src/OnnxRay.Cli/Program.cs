using System.CommandLine;
using OnnxRay.Cli.Commands;
using Spectre.Console;

// The `onnxray` tool: one subcommand per file in Commands/.
// Redirected output (logs, CI) gets wide tables instead of Spectre's 80-column default.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 140);
var root = new RootCommand("OnnxRay: Bayesian posteriors for any exported ONNX network.");
foreach (var command in CommandCatalog.Create()) root.Subcommands.Add(command);
root.Subcommands.Add(ExampleCommand.Create(steps => root.Parse(steps).Invoke()));
return root.Parse(args).Invoke();
