using System.CommandLine;
using OnnxRay.Cli.Commands;

// The `onnxray` tool: one subcommand per file in Commands/.
var root = new RootCommand("OnnxRay: Bayesian posteriors for any exported ONNX network.");
foreach (var command in CommandCatalog.Create()) root.Subcommands.Add(command);
root.Subcommands.Add(ExampleCommand.Create(steps => root.Parse(steps).Invoke()));
return root.Parse(args).Invoke();
