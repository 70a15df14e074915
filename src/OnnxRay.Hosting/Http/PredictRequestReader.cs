using System.Text.Json;
using OnnxRay.Hosting.Inputs;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Prediction;

namespace OnnxRay.Hosting.Http;

/// <summary>
/// Reads <c>{"inputs": {"x": {"shape": [2,13], "dtype": "float32", "data": [...]}}}</c> into one array per model input,
/// in the model input's own dtype. Shapes are checked before the data is read; <c>data</c> may be flat or nested
/// (row-major). Every error names its field, e.g. <c>inputs.x.data[5]</c>.
/// </summary>
public static class PredictRequestReader
{
    public static Dictionary<string, NpyArray> Read(JsonElement root, PosteriorInputValidator validator)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new PosteriorRequestException("body", $"expected a JSON object with an 'inputs' field, got {Kind(root)}.");
        if (!root.TryGetProperty("inputs", out var inputs))
            throw new PosteriorRequestException("inputs", "missing: expected an object of named input tensors.");
        if (inputs.ValueKind != JsonValueKind.Object)
            throw new PosteriorRequestException("inputs", $"expected an object of named input tensors, got {Kind(inputs)}.");

        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        string? firstName = null;
        long rows = 0;
        foreach (var property in inputs.EnumerateObject())
        {
            var input = validator.Input(property.Name);
            if (arrays.ContainsKey(property.Name)) throw new PosteriorRequestException($"inputs.{property.Name}", "given more than once.");
            var array = ReadTensor(property.Value, input, validator);
            PosteriorInputValidator.CheckRows(input.Name, array.Shape, ref firstName, ref rows);
            arrays[property.Name] = array;
        }
        return arrays;
    }

    private static NpyArray ReadTensor(JsonElement tensor, ModelInput input, PosteriorInputValidator validator)
    {
        var field = $"inputs.{input.Name}";
        if (tensor.ValueKind != JsonValueKind.Object)
            throw new PosteriorRequestException(field, $"expected an object with 'shape' and 'data', got {Kind(tensor)}.");

        var dtype = PosteriorInputValidator.DtypeOf(input);
        if (tensor.TryGetProperty("dtype", out var dtypeElement) && dtypeElement.ValueKind != JsonValueKind.Null)
        {
            if (dtypeElement.ValueKind != JsonValueKind.String)
                throw new PosteriorRequestException($"{field}.dtype", $"expected a dtype name ({DtypeNames.AcceptedList}), got {Kind(dtypeElement)}.");
            var given = DtypeNames.TryParse(dtypeElement.GetString()!)
                        ?? throw new PosteriorRequestException($"{field}.dtype", $"unknown dtype '{dtypeElement.GetString()}' (known: {DtypeNames.AcceptedList}).");
            // The wire carries decimal numbers, so a stated dtype must be the model's: anything else is a client mix-up.
            if (given != dtype)
                throw new PosteriorRequestException($"{field}.dtype", $"expected {DtypeNames.NameOf(dtype)}, got {DtypeNames.NameOf(given)}.");
        }

        var shape = ReadShape(tensor, field);
        validator.CheckShape(input, shape);
        var count = NpyFormat.ElementCount(shape);
        if (!tensor.TryGetProperty("data", out var data))
            throw new PosteriorRequestException($"{field}.data", $"missing: expected {count} numbers.");
        if (data.ValueKind != JsonValueKind.Array)
            throw new PosteriorRequestException($"{field}.data", $"expected an array of {count} numbers, got {Kind(data)}.");
        var have = CountLeaves(data);
        if (have != count)
            throw new PosteriorRequestException($"{field}.data", $"expected {count} values (the product of shape [{string.Join(",", shape)}]), got {have}.");

        var values = new TensorValueWriter(dtype, (int)count, $"{field}.data");
        values.WriteAll(data);
        return new NpyArray(dtype, shape, values.Data);
    }

    private static long[] ReadShape(JsonElement tensor, string field)
    {
        if (!tensor.TryGetProperty("shape", out var shape))
            throw new PosteriorRequestException($"{field}.shape", "missing: expected an array of dimension sizes, e.g. [1, 13].");
        if (shape.ValueKind != JsonValueKind.Array)
            throw new PosteriorRequestException($"{field}.shape", $"expected an array of dimension sizes, got {Kind(shape)}.");
        var dims = new long[shape.GetArrayLength()];
        var d = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var size) || size < 0)
                throw new PosteriorRequestException($"{field}.shape[{d}]", $"expected a non-negative integer, got {Text(dim)}.");
            dims[d++] = size;
        }
        try
        {
            // Guards the product against overflow before anything is allocated; MaxRequestBytes bounds real sizes anyway.
            if (checked(dims.Aggregate(1L, (a, b) => a * b)) > int.MaxValue)
                throw new PosteriorRequestException(field + ".shape", $"[{string.Join(",", dims)}] has more than {int.MaxValue} elements.");
        }
        catch (OverflowException)
        {
            throw new PosteriorRequestException(field + ".shape", $"[{string.Join(",", dims)}] has too many elements.");
        }
        return dims;
    }

    private static long CountLeaves(JsonElement array)
    {
        long n = 0;
        foreach (var item in array.EnumerateArray()) n += item.ValueKind == JsonValueKind.Array ? CountLeaves(item) : 1;
        return n;
    }

    internal static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    internal static string Text(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }
}
