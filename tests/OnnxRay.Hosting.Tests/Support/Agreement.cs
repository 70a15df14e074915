using System.Text.Json;

namespace OnnxRay.Hosting.Tests.Support;

/// <summary>Compares service answers with reference aggregates.</summary>
public static class Agreement
{
    public const double Tolerance = 1e-6;

    public static void Near(double expected, JsonElement actual, string what)
    {
        Assert.True(actual.ValueKind == JsonValueKind.Number, $"{what}: expected a number, got {actual}");
        var value = actual.GetDouble();
        Assert.True(Math.Abs(expected - value) <= Tolerance * Math.Max(1, Math.Abs(expected)),
            $"{what}: service {value:R}, reference {expected:R}");
    }
}
