using System.Text.RegularExpressions;

namespace OnnxRay.Onnx.Parameters;

/// <summary>
/// Which initializers are sampled: comma-separated name globs (<c>*</c> any run of characters, <c>?</c> one character),
/// e.g. <c>--params "fc.*,head.weight"</c>. Null or empty means the default set (see <see cref="ParameterLayout"/>).
/// </summary>
public sealed class ParameterSelection
{
    private readonly (string Glob, Regex Pattern)[] _globs;

    private ParameterSelection(string? text)
    {
        Text = text;
        _globs = string.IsNullOrWhiteSpace(text)
            ? []
            : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(g => (g, new Regex("^" + Regex.Escape(g).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.CultureInvariant)))
                .ToArray();
    }

    /// <summary>The default selection (every eligible initializer).</summary>
    public static ParameterSelection Default { get; } = new(null);

    /// <summary>Parses a comma-separated glob list; null/empty gives the default.</summary>
    public static ParameterSelection Parse(string? globs) => new(globs);

    public string? Text { get; }

    public bool IsDefault => _globs.Length == 0;

    public IEnumerable<string> Globs => _globs.Select(g => g.Glob);

    public bool Matches(string name) => _globs.Any(g => g.Pattern.IsMatch(name));

    /// <summary>Globs that match none of <paramref name="names"/> (reported as errors: a typo should not silently sample nothing).</summary>
    public IEnumerable<string> UnmatchedGlobs(IReadOnlyCollection<string> names) =>
        _globs.Where(g => !names.Any(n => g.Pattern.IsMatch(n))).Select(g => g.Glob);
}
