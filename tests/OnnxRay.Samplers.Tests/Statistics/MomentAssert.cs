using System.Globalization;
using System.Text;
using Xunit.Sdk;

namespace OnnxRay.Samplers.Tests.Statistics;

/// <summary>
/// Statistical assertions on sampler output: each estimated moment must lie within <c>z</c> Monte Carlo standard
/// errors of its exact value. The failure message lists every coordinate that failed, with estimate, exact value,
/// MCSE and z-score, so a failing test says how wrong the sampler is.
/// </summary>
public static class MomentAssert
{
    /// <summary>Default tolerance in MCSE units (generous enough for ~200 comparisons and an estimated MCSE).</summary>
    public const double DefaultZ = 5.0;

    /// <summary>Checks E[x_i] and E[x_i²] of every coordinate against <paramref name="exactMean"/> and <paramref name="exactSecondMoment"/>.</summary>
    public static void MeansAndSecondMoments(DrawRecorder draws, double[] exactMean, double[] exactSecondMoment, double z = DefaultZ)
    {
        var failures = new StringBuilder();
        Check(draws, exactMean, x => x, "E[x]", z, failures);
        Check(draws, exactSecondMoment, x => x * x, "E[x²]", z, failures);
        if (failures.Length > 0)
            throw new XunitException($"Moments outside {z}·MCSE ({draws.ChainCount} chains, {draws.DrawCount} draws):\n{failures}");
    }

    /// <summary>Checks E[f(x_i)] for every coordinate.</summary>
    public static void Moment(DrawRecorder draws, double[] exact, Func<double, double> statistic, string label, double z = DefaultZ)
    {
        var failures = new StringBuilder();
        Check(draws, exact, statistic, label, z, failures);
        if (failures.Length > 0)
            throw new XunitException($"{label} outside {z}·MCSE ({draws.ChainCount} chains, {draws.DrawCount} draws):\n{failures}");
    }

    /// <summary>Asserts |estimate − exact| ≤ z·se for one scalar, with a readable message.</summary>
    public static void WithinStandardErrors(double estimate, double exact, double standardError, string label, double z = DefaultZ)
    {
        if (!(Math.Abs(estimate - exact) <= z * standardError))
            throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                $"{label}: estimate {estimate:G6}, exact {exact:G6}, MCSE {standardError:G3}, z = {(estimate - exact) / standardError:F2} (limit {z})"));
    }

    private static void Check(DrawRecorder draws, double[] exact, Func<double, double> statistic, string label, double z, StringBuilder failures)
    {
        if (exact.Length != draws.Dimension) throw new ArgumentException("exact values do not match the dimension");
        for (var i = 0; i < exact.Length; i++)
        {
            var (estimate, se) = draws.Estimate(i, statistic);
            if (!(Math.Abs(estimate - exact[i]) <= z * se))
                failures.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {label}[{i}] = {estimate:G6} (exact {exact[i]:G6}, MCSE {se:G3}, z = {(estimate - exact[i]) / se:F2})"));
        }
    }
}
