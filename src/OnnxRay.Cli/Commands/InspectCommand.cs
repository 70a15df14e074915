using System.CommandLine;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;
using Spectre.Console;

namespace OnnxRay.Cli.Commands;

/// <summary><c>onnxray inspect MODEL</c>: inputs/outputs, the parameters θ (name, shape, count, total D), and every op with its gradient support.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model file." };
        var parameters = SharedOptions.Params();
        var output = SharedOptions.Output();
        var tieAliases = SharedOptions.TieAliases();
        var command = new Command("inspect", "Show a model's inputs, outputs, parameters and which ops OnnxRay can differentiate.") { model, parameters, output, tieAliases };
        command.SetAction(parse => CliAction.Run(() => Inspect(parse.GetValue(model)!, parse.GetValue(parameters), parse.GetValue(output), parse.GetValue(tieAliases))));
        return command;
    }

    private static int Inspect(string path, string? paramsGlob, string? outputName, bool tieAliases = false)
    {
        var original = OnnxModel.Load(path);
        var graph = original.Proto.Graph;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(path)}[/]  producer {Markup.Escape(original.Proto.ProducerName)} {Markup.Escape(original.Proto.ProducerVersion)}, IR {original.Proto.IrVersion}, opset {original.Opset}");

        var io = new Table().Border(TableBorder.Simple).AddColumns("", "name", "type", "shape");
        var initializerNames = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var v in graph.Input.Where(v => !initializerNames.Contains(v.Name))) io.AddRow("input", Markup.Escape(v.Name), TypeName(v), Markup.Escape(ShapeText(v)));
        foreach (var v in graph.Output) io.AddRow("output", Markup.Escape(v.Name), TypeName(v), Markup.Escape(ShapeText(v)));
        AnsiConsole.Write(io);

        OnnxModel normalized;
        try
        {
            normalized = ModelNormalizer.Normalize(original, new NormalizationOptions { TieAliases = tieAliases });
        }
        catch (UnsupportedOperatorException e)
        {
            WriteOps(graph, original.Opset);
            AnsiConsole.MarkupLine($"[red]Cannot be differentiated:[/] {Markup.Escape(e.Message)}");
            return CliAction.Failure;
        }

        WriteOps(normalized.Proto.Graph, normalized.Opset);
        var outputs = outputName is null ? null : new[] { outputName };
        var layout = ParameterLayout.FromModel(normalized, ParameterSelection.Parse(paramsGlob), GradientRuleRegistry.Default, outputs);
        var table = new Table().Border(TableBorder.Simple).AddColumns("parameter", "shape", "count", "offset", "fan-in");
        foreach (var t in layout.Tensors)
            table.AddRow(Markup.Escape(t.Name), $"[[{string.Join(", ", t.Shape)}]]", $"{t.Length:N0}", $"{t.Offset:N0}", $"{t.FanIn:N0}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Parameters: {layout.Tensors.Count} tensors, D = [bold]{layout.Dimension:N0}[/]");
        WriteTiesAndAliases(graph, normalized, layout, tieAliases);
        return 0;
    }

    /// <summary>§3.3: initializers read by several nodes (tied: one parameter, gradient summed) and Identity aliases (untied or tied).</summary>
    private static void WriteTiesAndAliases(GraphProto original, OnnxModel normalized, ParameterLayout layout, bool tieAliases)
    {
        var tied = normalized.Proto.Graph.Node.SelectMany(n => n.Input.Distinct().Select(i => (Input: i, Node: n.Name.Length > 0 ? n.Name : n.OpType)))
            .Where(u => layout.Contains(u.Input)).GroupBy(u => u.Input).Where(g => g.Count() > 1).ToList();
        foreach (var g in tied)
            AnsiConsole.MarkupLine($"Tied: [bold]{Markup.Escape(g.Key)}[/] is read by {g.Count()} nodes ({Markup.Escape(string.Join(", ", g.Select(u => u.Node).Take(6)))}{(g.Count() > 6 ? ", …" : "")}): one parameter, gradients summed");
        foreach (var a in AliasUntying.Find(original))
            AnsiConsole.MarkupLine(tieAliases
                ? $"Alias: [bold]{Markup.Escape(a.Name)}[/] = Identity({Markup.Escape(a.Source)}): kept tied (--tie-aliases), one parameter"
                : $"Alias: [bold]{Markup.Escape(a.Name)}[/] = Identity({Markup.Escape(a.Source)}): untied, its own parameter initialised from {Markup.Escape(a.Source)} (--tie-aliases keeps it tied)");
        if (tied.Count == 0 && AliasUntying.Find(original).Count == 0) AnsiConsole.MarkupLine("Tied weights: none");
    }

    private static void WriteOps(GraphProto graph, long opset)
    {
        var registry = GradientRuleRegistry.Default;
        var table = new Table().Border(TableBorder.Simple).AddColumns("op", "nodes", "gradient");
        foreach (var group in graph.Node.GroupBy(n => (n.Domain, n.OpType)).OrderBy(g => g.Key.OpType, StringComparer.Ordinal))
        {
            var (domain, op) = group.Key;
            var support = domain is not ("" or "ai.onnx") ? "[red]custom domain: not supported[/]"
                : registry.Find(op) is { } rule ? Unsupported(rule, group, opset) ?? "[green]rule[/]"
                : registry.IsNonDifferentiable(op) ? "[grey]no gradient (shape/index op)[/]"
                : "[red]no rule[/]";
            table.AddRow(Markup.Escape(string.IsNullOrEmpty(domain) ? op : $"{domain}.{op}"), group.Count().ToString(), support);
        }
        AnsiConsole.Write(table);
    }

    private static string? Unsupported(IGradientRule rule, IEnumerable<NodeProto> nodes, long opset)
    {
        var reasons = nodes.Select(n => rule.CheckSupported(new NodeView(n, opset))).Where(r => r is not null).Distinct().ToList();
        return reasons.Count == 0 ? null : "[yellow]rule; unsupported form: " + Markup.Escape(string.Join("; ", reasons)) + "[/]";
    }

    private static string TypeName(ValueInfoProto v) =>
        v.Type?.TensorType is { } t ? ((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant() : "?";

    private static string ShapeText(ValueInfoProto v) =>
        v.Type?.TensorType?.Shape is { } s ? "[" + string.Join(", ", s.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString() : d.DimParam is { Length: > 0 } p ? p : "?")) + "]" : "?";
}
