using System.Text.Json;
using OnnxRay.Onnx.Data;

namespace OnnxRay.Hosting.Http;

/// <summary>
/// Fills one typed element array from JSON numbers (flat or nested, row-major), refusing non-numbers, fractions for
/// integer dtypes and values out of the dtype's range, each named by its flat index.
/// </summary>
internal sealed class TensorValueWriter
{
    private readonly string _field;
    private int _next;

    public TensorValueWriter(string npyDtype, int count, string field)
    {
        _field = field;
        Data = npyDtype switch
        {
            NpyDtypes.Float32 => new float[count],
            NpyDtypes.Float64 => new double[count],
            NpyDtypes.Float16 => new Half[count],
            NpyDtypes.Int64 => new long[count],
            NpyDtypes.Int32 => new int[count],
            NpyDtypes.Bool => new bool[count],
            NpyDtypes.UInt8 => new byte[count],
            _ => throw new PosteriorRequestException(field, $"the model input's dtype {npyDtype} cannot be sent as JSON."),
        };
    }

    public Array Data { get; }

    public void WriteAll(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array) WriteAll(item);
            else Write(item);
        }
    }

    private void Write(JsonElement item)
    {
        var index = _next++;
        if (Data is bool[] flags)
        {
            flags[index] = item.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when item.TryGetInt64(out var v) && v is 0 or 1 => v == 1,
                _ => throw Bad(index, item, "a boolean"),
            };
            return;
        }
        if (item.ValueKind != JsonValueKind.Number) throw Bad(index, item, "a number");
        switch (Data)
        {
            case float[] f:
                var single = item.GetDouble();
                if (Math.Abs(single) > float.MaxValue) throw Bad(index, item, "a number within float32 range");
                f[index] = (float)single;
                break;
            case double[] d:
                d[index] = item.GetDouble();
                break;
            case Half[] h:
                h[index] = (Half)item.GetDouble();
                break;
            case long[] l:
                l[index] = item.TryGetInt64(out var i64) ? i64 : throw Bad(index, item, "an integer (int64)");
                break;
            case int[] i:
                i[index] = item.TryGetInt32(out var i32) ? i32 : throw Bad(index, item, "an integer (int32)");
                break;
            case byte[] b:
                b[index] = item.TryGetByte(out var u8) ? u8 : throw Bad(index, item, "an integer in [0, 255]");
                break;
        }
    }

    private PosteriorRequestException Bad(int index, JsonElement item, string expected) =>
        new($"{_field}[{index}]", $"expected {expected}, got {PredictRequestReader.Kind(item)} {PredictRequestReader.Text(item)}.");
}
