using System.Globalization;

namespace OnnxRay.Sampling.Storage;

/// <summary>One field on which two manifests of the same run folder disagree.</summary>
/// <param name="Field">The field, as a user would name it (e.g. "seed", "data SHA-256 of 'target'", "sampler option 'step-size'").</param>
/// <param name="OnDisk">The value in the manifest already in the folder.</param>
/// <param name="Mine">The value this process would have written.</param>
public sealed record ManifestDifference(string Field, string OnDisk, string Mine);

/// <summary>
/// Decides whether a process may join a run already in a shared folder: everything that determines the draws must
/// agree (model and data content, likelihood, prior, parameter layout, sampler name, version and options, seed, chain
/// count, schedule, storage and start position). Paths, creation time, tool version and free-form extras may differ
/// (another node may mount the same files elsewhere).
/// </summary>
public static class ManifestAgreement
{
    /// <summary>The first field that differs, in the order listed on the class; null when the manifests agree.</summary>
    public static ManifestDifference? FirstDifference(RunManifest onDisk, RunManifest mine)
    {
        foreach (var (field, a, b) in Fields(onDisk, mine))
            if (!string.Equals(a, b, StringComparison.Ordinal)) return new ManifestDifference(field, a, b);
        return null;
    }

    private static IEnumerable<(string Field, string OnDisk, string Mine)> Fields(RunManifest x, RunManifest y)
    {
        yield return ("format version", S(x.FormatVersion), S(y.FormatVersion));
        yield return ("model SHA-256", x.Model?.Sha256 ?? "(no model)", y.Model?.Sha256 ?? "(no model)");
        yield return ("data files", S(x.Data.Count), S(y.Data.Count));
        for (var i = 0; i < Math.Min(x.Data.Count, y.Data.Count); i++)
        {
            yield return ($"data array #{i} name", x.Data[i].Name, y.Data[i].Name);
            yield return ($"data SHA-256 of '{x.Data[i].Name}'", x.Data[i].Sha256, y.Data[i].Sha256);
            yield return ($"data shape of '{x.Data[i].Name}'", Shape(x.Data[i].Shape), Shape(y.Data[i].Shape));
        }
        yield return ("likelihood", x.Likelihood ?? "(none)", y.Likelihood ?? "(none)");
        yield return ("prior", x.Prior ?? "(none)", y.Prior ?? "(none)");
        yield return ("params (number of tensors)", S(x.Parameters.Count), S(y.Parameters.Count));
        for (var i = 0; i < Math.Min(x.Parameters.Count, y.Parameters.Count); i++)
            yield return ($"params entry #{i}", Entry(x.Parameters[i]), Entry(y.Parameters[i]));
        yield return ("sampler", x.Sampler.Name.ToLowerInvariant(), y.Sampler.Name.ToLowerInvariant());
        yield return ("sampler version", x.Sampler.Version.Split('+')[0], y.Sampler.Version.Split('+')[0]);
        foreach (var key in x.Sampler.Options.Keys.Union(y.Sampler.Options.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
            yield return ($"sampler option '{key}'", Option(x.Sampler.Options, key), Option(y.Sampler.Options, key));
        yield return ("dimension", S(x.Dimension), S(y.Dimension));
        yield return ("seed", S(x.Seed), S(y.Seed));
        yield return ("chains", S(x.Chains), S(y.Chains));
        yield return ("warmup", S(x.Warmup), S(y.Warmup));
        yield return ("draws", S(x.Draws), S(y.Draws));
        yield return ("thin", S(x.Thin), S(y.Thin));
        yield return ("chunk size", S(x.ChunkSize), S(y.ChunkSize));
        yield return ("dtype", x.Dtype, y.Dtype);
        yield return ("initial jitter", S(x.InitialJitter), S(y.InitialJitter));
        yield return ("checkpoint interval", S(x.CheckpointEvery), S(y.CheckpointEvery));
        yield return ("initial position (SHA-256 of initial.npy)", x.InitialPositionSha256 ?? "(none)", y.InitialPositionSha256 ?? "(none)");
    }

    private static string S<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
    private static string Shape(IReadOnlyList<long> shape) => "[" + string.Join(",", shape) + "]";
    private static string Entry(ParameterLayoutEntry e) => $"{e.Name}{Shape(e.Shape)}@{e.Offset}";

    private static string Option(IReadOnlyDictionary<string, string?> options, string key)
    {
        foreach (var (k, v) in options)
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) return v ?? "(null)";
        return "(absent)";
    }
}
