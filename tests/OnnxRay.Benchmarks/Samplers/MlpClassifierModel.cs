using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>
/// A ReLU MLP classifier (Gemm layers, logits out) written as ONNX in memory with the project's own protobuf types,
/// plus a batch of random inputs and labels: a realistic, cheap network density for timing samplers at D ≈ 10⁶
/// without a committed model file. Weights are drawn N(0, 1/fan_in) from a fixed seed.
/// </summary>
public static class MlpClassifierModel
{
    /// <summary>The model for <paramref name="layers"/> = [inputs, hidden…, classes] and a fixed batch size.</summary>
    public static OnnxModel Build(int[] layers, int batch, ulong seed)
    {
        if (layers.Length < 2) throw new ArgumentException("an MLP needs at least an input and an output width", nameof(layers));
        var random = new Abstractions.ChainRandom(seed);
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(FloatInfo("x", batch, layers[0]));
        var current = "x";
        for (var l = 1; l < layers.Length; l++)
        {
            int fanIn = layers[l - 1], width = layers[l];
            var weights = new float[(long)width * fanIn];
            random.FillGaussian(weights);
            var scale = (float)(1 / Math.Sqrt(fanIn));
            for (var i = 0; i < weights.Length; i++) weights[i] *= scale;
            graph.Initializer.Add(TensorData.FromFloats($"fc{l}.weight", [width, fanIn], weights));
            graph.Initializer.Add(TensorData.FromFloats($"fc{l}.bias", [width], new float[width]));
            var output = l == layers.Length - 1 ? "logits" : $"h{l}";
            var gemm = new NodeProto { OpType = "Gemm", Name = $"fc{l}", Input = { current, $"fc{l}.weight", $"fc{l}.bias" }, Output = { l == layers.Length - 1 ? output : output + "_pre" } };
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(gemm);
            if (l < layers.Length - 1) graph.Node.Add(new NodeProto { OpType = "Relu", Name = $"relu{l}", Input = { output + "_pre" }, Output = { output } });
            current = output;
        }
        graph.Output.Add(FloatInfo("logits", batch, layers[^1]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "OnnxRay.Benchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        return ModelNormalizer.Normalize(OnnxModel.FromBytes(Google.Protobuf.MessageExtensions.ToByteArray(model), null, "mlp (in memory)"));
    }

    /// <summary><paramref name="batch"/> random inputs N(0, 1) and uniform labels.</summary>
    public static DensityData RandomData(int inputs, int classes, int batch, ulong seed)
    {
        var random = new Abstractions.ChainRandom(seed);
        var x = new float[(long)batch * inputs];
        random.FillGaussian(x);
        var target = new long[batch];
        for (var i = 0; i < batch; i++) target[i] = random.NextInt64(classes);
        return DensityData.FromArrays(new Dictionary<string, NpyArray>
        {
            ["x"] = NpyArray.FromFloats(x, batch, inputs),
            ["target"] = NpyArray.FromInt64s(target, batch),
        }, "random");
    }

    private static ValueInfoProto FloatInfo(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
