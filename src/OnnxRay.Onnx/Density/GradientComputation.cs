using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Normalization;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Density;

/// <summary>Log density and its gradient per parameter tensor, as the <c>onnxray gradient</c> command reports them.</summary>
public sealed record GradientResult(double LogDensity, ParameterLayout Layout, IReadOnlyDictionary<string, NpyArray> GradientsByTensor)
{
    /// <summary>Writes <c>log_density</c> (float64 scalar) and one array per parameter (named and shaped as the initializer).</summary>
    public void Save(string npzPath)
    {
        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal) { ["log_density"] = NpyArray.Scalar(LogDensity) };
        foreach (var (name, g) in GradientsByTensor) arrays[name] = g;
        NpzFile.Write(npzPath, arrays);
    }
}

/// <summary>The facade behind <c>onnxray gradient MODEL --data X.npz --likelihood K --prior P --params G --out OUT.npz</c>.</summary>
public static class GradientComputation
{
    /// <summary>
    /// Loads and normalises the model, builds the density over the whole data set and evaluates log p and ∇ log p at the
    /// model's own weights (θ₀). <paramref name="batchSize"/> only bounds memory: the result is the exact full-data value.
    /// </summary>
    /// <exception cref="Errors.NonFiniteGradientException">when <paramref name="requireFinite"/> and any value is NaN/∞ (names the tensors).</exception>
    public static GradientResult Run(string modelPath, string dataNpzPath, string likelihood, string prior = "none", string? paramsGlob = null,
        string? outputName = null, long? batchSize = null, bool requireFinite = true)
    {
        var model = ModelNormalizer.Normalize(OnnxModel.Load(modelPath));
        return Run(model, DensityData.FromNpz(dataNpzPath), DensityOptions.Parse(likelihood, prior, outputName), ParameterSelection.Parse(paramsGlob), batchSize, requireFinite);
    }

    /// <summary>As above, from an already loaded (normalised) model and data.</summary>
    public static GradientResult Run(OnnxModel model, DensityData data, DensityOptions density, ParameterSelection? selection = null,
        long? batchSize = null, bool requireFinite = true)
    {
        using var ld = OrtLogDensity.Create(model, data, density, new OrtLogDensityOptions { BatchSize = batchSize, MinibatchRandom = new Abstractions.ChainRandom(0) }, selection);
        var gradient = new float[ld.Dimension];
        var value = ld.EvaluateExact(ld.InitialTheta, gradient);
        if (requireFinite) ld.ThrowIfNonFinite(value, gradient);
        var byTensor = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var t in ld.Layout.Tensors)
            byTensor[t.Name] = NpyArray.FromFloats(gradient.AsSpan(t.Offset, t.Length).ToArray(), t.Shape);
        return new GradientResult(value, ld.Layout, byTensor);
    }
}
