using System.Globalization;

namespace OnnxRay.Sampling.Plugins;

/// <summary>
/// Text ⇄ value conversion for sampler options, always in the invariant culture so a run folder's manifest
/// reads back the same on every machine.
/// </summary>
public static class SamplerOptionValues
{
    /// <summary>True for the option types the binder supports.</summary>
    public static bool IsSupported(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(bool) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float)
               || t == typeof(string) || t.IsEnum;
    }

    /// <summary>Invariant text of a value (null stays null; enums by name; doubles round-trip exactly).</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>Parses <paramref name="text"/> as <paramref name="type"/>; false when it is not a valid value.</summary>
    public static bool TryParse(string text, Type type, out object? value)
    {
        value = null;
        var underlying = Nullable.GetUnderlyingType(type);
        var t = underlying ?? type;
        var s = text.Trim();
        if (underlying is not null && (s.Length == 0 || s.Equals("null", StringComparison.OrdinalIgnoreCase))) return true;
        if (t == typeof(string)) { value = text; return true; }
        if (t == typeof(bool))
        {
            if (s is "1" or "yes" or "on") { value = true; return true; }
            if (s is "0" or "no" or "off") { value = false; return true; }
            if (bool.TryParse(s, out var b)) { value = b; return true; }
            return false;
        }
        if (t == typeof(int) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) { value = i; return true; }
        if (t == typeof(long) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) { value = l; return true; }
        if (t == typeof(double) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) { value = d; return true; }
        if (t == typeof(float) && float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f)) { value = f; return true; }
        if (t.IsEnum)
        {
            // Accept the member name in any case, also written kebab-case ("dual-averaging" for DualAveraging); no numbers.
            var compact = s.Replace("-", "").Replace("_", "");
            foreach (var name in Enum.GetNames(t))
                if (name.Equals(s, StringComparison.OrdinalIgnoreCase) || name.Replace("_", "").Equals(compact, StringComparison.OrdinalIgnoreCase))
                {
                    value = Enum.Parse(t, name);
                    return true;
                }
        }
        return false;
    }

    /// <summary>A short type name for help and error messages.</summary>
    public static string DisplayName(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var t = underlying ?? type;
        var name = t.IsEnum ? "one of " + string.Join("|", Enum.GetNames(t))
            : t == typeof(bool) ? "bool"
            : t == typeof(int) ? "int"
            : t == typeof(long) ? "long"
            : t == typeof(double) ? "double"
            : t == typeof(float) ? "float"
            : t == typeof(string) ? "string"
            : t.Name;
        return underlying is null ? name : name + " (optional)";
    }
}
