using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Prediction;

namespace OnnxRay.Hosting.Inputs;

/// <summary>
/// Checks request tensors against the model's data inputs before any forward pass, so every problem is reported
/// with the request field at fault (<c>inputs.x.shape[1]: expected 13, got 12</c>) rather than as an ONNX Runtime error.
/// </summary>
public sealed class PosteriorInputValidator(IReadOnlyList<ModelInput> modelInputs)
{
    private readonly Dictionary<string, ModelInput> _byName = modelInputs.ToDictionary(i => i.Name, StringComparer.Ordinal);

    /// <summary>A validator for the inputs a predictor describes in <see cref="PosteriorModelInfo.Inputs"/>.</summary>
    public static PosteriorInputValidator For(PosteriorModelInfo model) => new(model.Inputs.Select(i => new ModelInput(
        i.Name,
        DtypeNames.TryParse(i.Dtype) is { } npy ? OrtTensors.OnnxTypeOf(npy) : 0,
        i.Shape.Select(d => d ?? 0).ToArray())).ToList());

    /// <summary>The model input called <paramref name="name"/>, or a request error naming it as unknown.</summary>
    public ModelInput Input(string name) => _byName.TryGetValue(name, out var input)
        ? input
        : throw new PosteriorRequestException($"inputs.{name}", $"unknown input (the model's inputs are: {InputList}).");

    /// <summary>Rank, fixed dimensions, and at least one row.</summary>
    public void CheckShape(ModelInput input, IReadOnlyList<long> shape)
    {
        var field = $"inputs.{input.Name}.shape";
        if (shape.Count != input.Dimensions.Length)
            throw new PosteriorRequestException(field, $"expected rank {input.Dimensions.Length} {Describe(input)}, got rank {shape.Count} [{string.Join(",", shape)}].");
        for (var d = 0; d < shape.Count; d++)
        {
            if (shape[d] < 0) throw new PosteriorRequestException($"{field}[{d}]", $"expected a non-negative size, got {shape[d]}.");
            if (d > 0 && input.Dimensions[d] > 0 && shape[d] != input.Dimensions[d])
                throw new PosteriorRequestException($"{field}[{d}]", $"expected {input.Dimensions[d]}, got {shape[d]}.");
        }
        if (shape.Count > 0 && shape[0] == 0) throw new PosteriorRequestException($"{field}[0]", "expected at least one example, got 0.");
    }

    /// <summary>Whether an array of <paramref name="npyDtype"/> can feed <paramref name="input"/> without loss (as the predictor converts).</summary>
    public static bool Accepts(ModelInput input, string npyDtype)
    {
        var wanted = OrtTensors.DtypeOf(input.ElementType);
        if (wanted == npyDtype) return true;
        return wanted switch
        {
            NpyDtypes.Float32 => npyDtype is NpyDtypes.Float64 or NpyDtypes.Float16 or NpyDtypes.Int32 or NpyDtypes.Int64 or NpyDtypes.UInt8 or NpyDtypes.Bool,
            NpyDtypes.Int64 => npyDtype is NpyDtypes.Int32 or NpyDtypes.UInt8 or NpyDtypes.Bool,
            NpyDtypes.Float64 => npyDtype is NpyDtypes.Float32 or NpyDtypes.Int32 or NpyDtypes.Int64,
            _ => false,
        };
    }

    /// <summary>The npy dtype the model input takes.</summary>
    public static string DtypeOf(ModelInput input) => OrtTensors.DtypeOf(input.ElementType);

    /// <summary>Every input present and known, shapes and dtypes right, data lengths matching, same number of rows.</summary>
    public void Validate(IReadOnlyDictionary<string, NpyArray> inputs)
    {
        foreach (var name in inputs.Keys) Input(name);
        string? firstName = null;
        long rows = 0;
        foreach (var input in modelInputs)
        {
            if (!inputs.TryGetValue(input.Name, out var array))
                throw new PosteriorRequestException($"inputs.{input.Name}", $"missing: the model needs this input {Describe(input)} ({DtypeNames.NameOf(DtypeOf(input))}).");
            if (!Accepts(input, array.Dtype))
                throw new PosteriorRequestException($"inputs.{input.Name}.dtype", $"expected {DtypeNames.NameOf(DtypeOf(input))}, got {DtypeNames.NameOf(array.Dtype)}.");
            CheckShape(input, array.Shape);
            if (array.Data.LongLength != array.ElementCount)
                throw new PosteriorRequestException($"inputs.{input.Name}.data",
                    $"expected {array.ElementCount} values (the product of shape [{string.Join(",", array.Shape)}]), got {array.Data.LongLength}.");
            CheckRows(input.Name, array.Shape, ref firstName, ref rows);
        }
    }

    /// <summary>Every input must have the same number of rows (first dimension).</summary>
    public static void CheckRows(string name, IReadOnlyList<long> shape, ref string? firstName, ref long rows)
    {
        if (shape.Count == 0) return;
        if (firstName is null)
        {
            firstName = name;
            rows = shape[0];
        }
        else if (shape[0] != rows)
            throw new PosteriorRequestException($"inputs.{name}.shape[0]", $"expected {rows} (the rows of input '{firstName}'), got {shape[0]}.");
    }

    private string InputList => string.Join(", ", modelInputs.Select(i => i.Name));

    /// <summary>[?,13]-style description of the expected shape.</summary>
    public static string Describe(ModelInput input) =>
        "[" + string.Join(",", input.Dimensions.Select(d => d > 0 ? d.ToString() : "?")) + "]";
}
