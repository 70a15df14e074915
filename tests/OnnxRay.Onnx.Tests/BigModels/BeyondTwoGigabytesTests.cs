using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;
using OnnxRay.Onnx.Tests.TestSupport;
using Xunit.Abstractions;

namespace OnnxRay.Onnx.Tests.BigModels;

/// <summary>
/// Opt-in (ONNXRAY_BIG_TESTS=1; needs ~5 GB of disk and ~12 GB of memory): a model whose external data exceeds 2 GB, more
/// than one protobuf message or one .NET byte[] can hold, goes through the whole path: written by ModelWriter (streamed
/// side file), OnnxModel.Load, normalisation, θ in one float[D], the density graph (θ is an input, so no weight is
/// embedded in it), the ORT shape probe and session, and one gradient at batch 1, checked against the analytic gradient.
/// </summary>
public sealed class BeyondTwoGigabytesTests(ITestOutputHelper output)
{
    public const string Variable = "ONNXRAY_BIG_TESTS";

    // Four n×n MatMul layers: 4·11776² floats = 554.7 M floats = 2.22 GB of external data.
    private const int Width = 11776;
    private const int Layers = 4;

    [SkippableFact]
    public void Gradient_of_a_model_with_more_than_2_GB_of_external_data()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable(Variable) == "1",
            $"set {Variable}=1 to run the > 2 GB external-data test (writes ~4.5 GB to the temp folder, needs ~12 GB of memory)");
        using var folder = new TempFolder();
        var clock = Stopwatch.StartNew();
        var path = WriteModel(folder);
        var dataBytes = new FileInfo(path + ".data").Length;
        Assert.True(dataBytes > (long)int.MaxValue, $"side file is {dataBytes} bytes");
        Log($"model written: {dataBytes / 1e9:F2} GB of external data, {new FileInfo(path).Length} bytes of protobuf ({clock.Elapsed.TotalSeconds:F0} s)");

        var model = ModelNormalizer.Normalize(OnnxModel.Load(path));
        var x = Vector(seed: 11, Width, 1f);
        var target = Vector(seed: 12, Width, 1f);
        var data = DensityData.FromArrays(new Dictionary<string, NpyArray>
        {
            ["x"] = NpyArray.FromFloats(x, 1, Width),
            ["target"] = NpyArray.FromFloats(target, 1, Width),
        });
        using var density = OrtLogDensity.Create(model, data, DensityOptions.Parse("gaussian:1", "none"));
        var serialisedGraph = density.Graph.ToBytes().Length;
        Log($"density graph built: D = {density.Dimension:N0}, serialised graph {serialisedGraph:N0} bytes ({clock.Elapsed.TotalSeconds:F0} s)");
        Assert.Equal((long)Layers * Width * Width, density.Dimension);
        Assert.True(serialisedGraph < 1 << 20, "the density graph must not embed the weights");

        var theta = density.InitialTheta;
        var gradient = new float[density.Dimension];
        var logDensity = density.Evaluate(theta, gradient);
        Log($"gradient evaluated: log p = {logDensity:G6} ({clock.Elapsed.TotalSeconds:F0} s)");

        var expected = AnalyticGradient(theta, x, target, out var expectedLogDensity);
        Assert.Equal(expectedLogDensity, logDensity, Math.Abs(expectedLogDensity) * 1e-3);
        var random = new Random(5);
        foreach (var layer in Enumerable.Range(0, Layers))
            for (var k = 0; k < 8; k++)
            {
                var (i, j) = (random.Next(Width), random.Next(Width));
                var offset = (long)layer * Width * Width + (long)i * Width + j;
                var want = expected[layer](i, j);
                // float32 sums over 11776 terms per layer: a relative tolerance plus an absolute one scaled to the layer.
                Assert.True(Math.Abs(gradient[offset] - want) <= 1e-3 * Math.Abs(want) + 1e-4 * expected[layer](-1, -1),
                    $"layer {layer} [{i},{j}]: got {gradient[offset]}, expected {want}");
            }
        Log(string.Create(CultureInfo.InvariantCulture,
            $"peak resident memory {PeakGiB():F2} GiB = {PeakGiB() * (1L << 30) / (4.0 * density.Dimension):F2} × θ ({4.0 * density.Dimension / (1L << 30):F2} GiB); {clock.Elapsed.TotalSeconds:F0} s in all"));
    }

    /// <summary>y = x·W1·W2·W3·W4, weights uniform in ±√(3/n) (unit-variance activations), streamed into a side file.</summary>
    private static string WriteModel(TempFolder folder)
    {
        var raw = folder.File("weights.raw");
        var graph = new GraphProto { Name = "big_linear" };
        graph.Input.Add(ThetaRewriter.TensorInput("x", OnnxType.Float, [1, Width]));
        graph.Output.Add(ThetaRewriter.TensorInput("y", OnnxType.Float, [1, Width]));
        var previous = "x";
        var scale = MathF.Sqrt(3f / Width);
        using (var file = new FileStream(raw, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var row = new float[Width];
            for (var layer = 0; layer < Layers; layer++)
            {
                var name = $"W{layer + 1}";
                var offset = file.Position;
                var state = 0x9E3779B97F4A7C15UL * (ulong)(layer + 1);
                for (var i = 0; i < Width; i++)
                {
                    for (var j = 0; j < Width; j++) row[j] = scale * Uniform(ref state);
                    file.Write(MemoryMarshal.AsBytes(row.AsSpan()));
                }
                var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
                tensor.Dims.Add([Width, Width]);
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = Path.GetFileName(raw) });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = ((long)Width * Width * 4).ToString(CultureInfo.InvariantCulture) });
                graph.Initializer.Add(tensor);
                var output = layer == Layers - 1 ? "y" : $"h{layer + 1}";
                graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "matmul" + (layer + 1), Input = { previous, name }, Output = { output } });
                previous = output;
            }
        }
        var proto = new ModelProto { IrVersion = 8, Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        // The project's writer copies the raw weights into an aligned side file through a 1 MiB buffer.
        var path = folder.File("big_linear.onnx");
        new OnnxModel(proto, raw, folder.Path).Save(path, ModelSaveOptions.AllExternal);
        File.Delete(raw);
        return path;
    }

    /// <summary>
    /// log p = −½‖t − y‖² − (n/2)·log 2π and ∂/∂W_l[i,j] = h_{l−1}[i]·δ_l[j] with δ_L = t − y, δ_{l−1} = W_l·δ_l, in double.
    /// Each entry (i, j) → value; (−1, −1) → the layer's largest |gradient| (scale for the absolute tolerance).
    /// </summary>
    private static Func<int, int, double>[] AnalyticGradient(float[] theta, float[] x, float[] target, out double logDensity)
    {
        double W(int layer, int i, int j) => theta[(long)layer * Width * Width + (long)i * Width + j];
        var h = new double[Layers + 1][];
        h[0] = x.Select(v => (double)v).ToArray();
        for (var l = 0; l < Layers; l++)
        {
            var next = new double[Width];
            for (var i = 0; i < Width; i++)
            {
                var hi = h[l][i];
                var offset = (long)l * Width * Width + (long)i * Width;
                for (var j = 0; j < Width; j++) next[j] += hi * theta[offset + j];
            }
            h[l + 1] = next;
        }
        var delta = new double[Layers][];
        delta[Layers - 1] = target.Select((t, j) => t - h[Layers][j]).ToArray();
        logDensity = -0.5 * delta[Layers - 1].Sum(r => r * r) - 0.5 * Width * Math.Log(2 * Math.PI);
        for (var l = Layers - 1; l > 0; l--)
        {
            var previous = new double[Width];
            for (var i = 0; i < Width; i++)
            {
                double sum = 0;
                for (var j = 0; j < Width; j++) sum += W(l, i, j) * delta[l][j];
                previous[i] = sum;
            }
            delta[l - 1] = previous;
        }
        return Enumerable.Range(0, Layers).Select(l =>
        {
            var scale = h[l].Max(Math.Abs) * delta[l].Max(Math.Abs);
            return (Func<int, int, double>)((i, j) => i < 0 ? scale : h[l][i] * delta[l][j]);
        }).ToArray();
    }

    private static float[] Vector(ulong seed, int n, float amplitude)
    {
        var state = seed * 0xBF58476D1CE4E5B9UL;
        return Enumerable.Range(0, n).Select(_ => amplitude * Uniform(ref state)).ToArray();
    }

    /// <summary>Uniform in [−1, 1) from a splitmix64 stream (fast enough for half a billion weights).</summary>
    private static float Uniform(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (2f / (1 << 24)) - 1f;
    }

    private static double PeakGiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1 << 20);
        return Process.GetCurrentProcess().PeakWorkingSet64 / (double)(1L << 30);
    }

    private void Log(string message)
    {
        output.WriteLine(message);
        Console.WriteLine("[big] " + message);
    }
}
