using System.Text.Json;
using OnnxRay.Onnx.Prediction.Aggregation;

namespace OnnxRay.Sampling.Tests.Diagnostics;

/// <summary>Φ and Φ⁻¹ against 40-digit mpmath values.</summary>
public class StandardNormalTests
{
    private static JsonElement Reference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceCases.Folder, "normal_reference.json")));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void CdfHasFullRelativeAccuracyIncludingTheLowerTail()
    {
        foreach (var row in Reference().GetProperty("cdf").EnumerateArray())
        {
            var x = row.GetProperty("x").GetDouble();
            var expected = row.GetProperty("value").GetDouble();
            var actual = StandardNormal.Cdf(x);
            Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Abs(expected) + 1e-300,
                $"Φ({x}) = {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void InverseCdfHasFullRelativeAccuracy()
    {
        foreach (var row in Reference().GetProperty("inverse_cdf").EnumerateArray())
        {
            var p = row.GetProperty("p").GetDouble();
            var expected = row.GetProperty("value").GetDouble();
            var actual = StandardNormal.InverseCdf(p);
            Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Max(1e-3, Math.Abs(expected)),
                $"Φ⁻¹({p}) = {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void InverseUndoesCdf()
    {
        // above x ≈ 3, 1 − Φ(x) loses digits in double, so the round trip is checked from the lower tail up to 3
        for (var x = -37.0; x <= 3.0; x += 0.37)
            Assert.True(Math.Abs(x - StandardNormal.InverseCdf(StandardNormal.Cdf(x))) <= 1e-13 * Math.Max(1, Math.Abs(x)), $"x = {x}");
    }

    [Fact]
    public void EdgesAreInfiniteAndOutsideIsNaN()
    {
        Assert.Equal(double.NegativeInfinity, StandardNormal.InverseCdf(0));
        Assert.Equal(double.PositiveInfinity, StandardNormal.InverseCdf(1));
        Assert.True(double.IsNaN(StandardNormal.InverseCdf(1.5)));
        Assert.True(double.IsNaN(StandardNormal.Cdf(double.NaN)));
        Assert.Equal(0.0, StandardNormal.Cdf(double.NegativeInfinity));
        Assert.Equal(1.0, StandardNormal.Cdf(double.PositiveInfinity));
    }
}
