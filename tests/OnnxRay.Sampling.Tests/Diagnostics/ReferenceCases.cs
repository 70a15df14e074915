using System.Text.Json;
using OnnxRay.Testing;

namespace OnnxRay.Sampling.Tests.Diagnostics;

/// <summary>
/// Synthetic chains with values from the reference implementations (R `posterior` 1.4.0, emcee 3.1.4),
/// written by models/diagnostics-reference/diagnostics_reference.py.
/// </summary>
internal static class ReferenceCases
{
    public static string Folder => Path.Combine(RepositoryPaths.Root, "tests", "OnnxRay.Sampling.Tests", "Diagnostics", "reference");

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "diagnostics_reference.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static IEnumerable<object[]> Names => Cases.Value.Keys.Select(k => new object[] { k });

    public static double[][] Chains(string name) =>
        Cases.Value[name].GetProperty("chains").EnumerateArray()
            .Select(chain => chain.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    public static double Value(string name, string key)
    {
        var v = Cases.Value[name].GetProperty(key);
        return v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble();
    }
}
