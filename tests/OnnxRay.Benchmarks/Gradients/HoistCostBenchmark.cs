using System.Globalization;
using OnnxRay.Benchmarks.Samplers;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Testing;

namespace OnnxRay.Benchmarks.Gradients;

/// <summary>
/// What hoisting the density graph's data-only part (<see cref="DataOnlyPart"/>) saves or costs per gradient
/// evaluation, hoisted ÷ not hoisted (<see cref="OrtLogDensityOptions.HoistLimitBytes"/> = 0), same process, calls
/// interleaved repeat by repeat (<see cref="GradientRatioBenchmark.Medians"/>, thread CPU time by default):
///   full   OrtLogDensity.Evaluate on a full batch of B rows: the data-only part runs once, before the first call;
///   mini   OrtLogDensity.Evaluate with minibatches of B out of 4·B rows. Minibatch densities never hoist (a prep
///          run per batch measured 1.05–1.10× the whole graph, before that policy), so both sides run the same graph:
///          the column checks the policy and shows the run-to-run noise.
/// </summary>
public sealed class HoistCostBenchmark : IBenchmark
{
    public string Name => "hoist-cost";

    public string Description =>
        "gradient evaluation with the data-only part hoisted ÷ not hoisted, full batch (and minibatch, which never hoists: noise reference); " +
        "--models boston_mlp,digits_cnn --batches 1,32,256 --repeats 7";

    public int Run(string[] args)
    {
        var a = new SamplerBenchmarkArgs(args);
        var models = a.String("models", "boston_mlp,digits_cnn").Split(',');
        var batches = a.String("batches", "1,32,256").Split(',').Select(int.Parse).ToArray();
        var repeats = a.Int("repeats", 7);
        Console.WriteLine($"hoist-cost: median µs per Evaluate of {repeats} interleaved repeats, thread CPU time, 1 intra-op thread, {Environment.ProcessorCount} cores, load {LoadAverage.Now()}");
        Console.WriteLine("  model        B   full hoisted   full plain  ratio   mini hoisted   mini plain  ratio   hoisted nodes/values");
        foreach (var name in models)
        {
            var (dataName, likelihood, prior) = GradientRatioBenchmark.Cases[name];
            var model = ModelNormalizer.Normalize(OnnxModel.Load(Path.Combine(RepositoryPaths.Models, name + ".onnx")));
            var all = DensityData.FromNpz(Path.Combine(RepositoryPaths.Models, "data", dataName, "train.npz"));
            var options = DensityOptions.Parse(likelihood, prior);
            foreach (var b in batches)
            {
                var full = DensityData.FromArrays(GradientRatioBenchmark.RepeatRows(all, b), dataName);
                var pool = DensityData.FromArrays(GradientRatioBenchmark.RepeatRows(all, 4 * b), dataName);
                OrtLogDensity Create(DensityData data, long? batch, long limit) => OrtLogDensity.Create(model, data, options,
                    new OrtLogDensityOptions { BatchSize = batch, MinibatchRandom = new Abstractions.ChainRandom(11), HoistLimitBytes = limit });
                using var fullHoisted = Create(full, null, DataOnlyPart.DefaultLimitBytes);
                using var fullPlain = Create(full, null, 0);
                using var miniHoisted = Create(pool, b, DataOnlyPart.DefaultLimitBytes);
                using var miniPlain = Create(pool, b, 0);
                var theta = fullPlain.InitialTheta;
                var gradient = new float[fullPlain.Dimension];
                var m = GradientRatioBenchmark.Medians(repeats,
                    () => fullHoisted.Evaluate(theta, gradient), () => fullPlain.Evaluate(theta, gradient),
                    () => miniHoisted.Evaluate(theta, gradient), () => miniPlain.Evaluate(theta, gradient));
                var part = fullHoisted.Graph.DataOnly;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name,-11} {b,4} {m[0],14:F1} {m[1],12:F1} {m[0] / m[1],6:F2} {m[2],14:F1} {m[3],12:F1} {m[2] / m[3],6:F2}   {(part is null ? "none" : $"{part.NodeCount}/{part.Values.Count}")}"));
            }
        }
        return 0;
    }
}
