using OnnxRay.Onnx.Data;

namespace OnnxRay.Hosting.Inputs;

/// <summary>Human dtype names used on the wire (float32, int64, …) and their npy descriptors.</summary>
public static class DtypeNames
{
    private static readonly (string Name, string Npy)[] Known =
    [
        ("float32", NpyDtypes.Float32), ("float64", NpyDtypes.Float64), ("float16", NpyDtypes.Float16),
        ("int64", NpyDtypes.Int64), ("int32", NpyDtypes.Int32), ("bool", NpyDtypes.Bool), ("uint8", NpyDtypes.UInt8),
    ];

    /// <summary>Every accepted name, for error messages.</summary>
    public static string AcceptedList => string.Join(", ", Known.Select(k => k.Name));

    /// <summary>The wire name of an npy dtype ("&lt;f4" → "float32").</summary>
    public static string NameOf(string npyDtype) => Known.FirstOrDefault(k => k.Npy == npyDtype).Name ?? npyDtype;

    /// <summary>The npy dtype of a wire name or npy descriptor; null when unknown.</summary>
    public static string? TryParse(string name)
    {
        foreach (var (n, npy) in Known)
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase) || npy == name) return npy;
        return name.ToLowerInvariant() switch { "float" => NpyDtypes.Float32, "double" => NpyDtypes.Float64, _ => null };
    }
}
