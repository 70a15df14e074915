using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Creates the <see cref="DensityCoefficient"/> inputs of a density graph while it is built: one graph input per distinct
/// linear form in (likelihood scale, prior weight), with a default initializer (value at the default scale and weight 1)
/// when it is one element, so a saved graph still runs with only data and θ fed.
/// </summary>
internal sealed class CoefficientInputs(GraphEmitter emitter, double defaultLikelihoodScale)
{
    private readonly List<DensityCoefficient> _all = [];

    public IReadOnlyList<DensityCoefficient> All => _all;

    /// <summary>A scalar (or <paramref name="shape"/>-shaped, all elements equal) input worth s·perScale + w·perWeight.</summary>
    public string Scalar(string hint, double perLikelihoodScale, double perPriorWeight, long[]? shape = null)
    {
        shape ??= [];
        var length = (int)shape.Aggregate(1L, (a, d) => a * d);
        return Add(hint, shape, [new CoefficientSegment(0, length, perLikelihoodScale, perPriorWeight)]);
    }

    private string Add(string hint, long[] shape, IReadOnlyList<CoefficientSegment> segments)
    {
        foreach (var c in _all)
            if (c.Shape.SequenceEqual(shape) && c.Segments.SequenceEqual(segments)) return c.InputName;
        var name = emitter.Names.Next(hint);
        var coefficient = new DensityCoefficient(name, shape, segments);
        var graph = emitter.Graph;
        graph.Input.Add(ThetaRewriter.TensorInput(name, OnnxType.Float, shape));
        if (coefficient.HasDefault)
        {
            var value = new float[1];
            coefficient.Fill(value, defaultLikelihoodScale, 1.0);
            graph.Initializer.Add(TensorData.FromFloats(name, shape, value));
        }
        emitter.Types.Set(name, shape, OnnxType.Float);
        _all.Add(coefficient);
        return name;
    }
}
