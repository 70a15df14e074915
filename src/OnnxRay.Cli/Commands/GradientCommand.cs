using System.CommandLine;
using OnnxRay.Onnx.Density;

namespace OnnxRay.Cli.Commands;

/// <summary>
/// <c>onnxray gradient MODEL --data X.npz --likelihood K [--prior P] [--params G] --out OUT.npz</c>: log p and ∇ log p at the
/// model's own weights; OUT holds <c>log_density</c> (float64) and one array per parameter, named and shaped as the initializer.
/// </summary>
internal static class GradientCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model file." };
        var data = new Option<string>("--data") { Description = "An .npz with one array per model input (by input name) and 'target'.", Required = true };
        var likelihood = SharedOptions.Likelihood();
        var prior = SharedOptions.Prior();
        var parameters = SharedOptions.Params();
        var output = SharedOptions.Output();
        var batch = new Option<long?>("--batch-size") { Description = "Rows per ORT call (bounds memory; the result is the full-data value)." };
        var outPath = new Option<string>("--out") { Description = "Output .npz path.", Required = true };
        var command = new Command("gradient", "Compute log p(θ | data) and its gradient at the model's own weights.")
        {
            model, data, likelihood, prior, parameters, output, batch, outPath,
        };
        command.SetAction(parse => CliAction.Run(() =>
        {
            var result = GradientComputation.Run(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(likelihood)!, parse.GetValue(prior)!,
                parse.GetValue(parameters), parse.GetValue(output), parse.GetValue(batch));
            result.Save(parse.GetValue(outPath)!);
            Console.WriteLine($"log_density = {result.LogDensity:R}");
            Console.WriteLine($"D = {result.Layout.Dimension:N0} over {result.Layout.Tensors.Count} tensors; wrote {parse.GetValue(outPath)}");
            return 0;
        }));
        return command;
    }
}
