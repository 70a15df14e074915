using System.Globalization;

namespace OnnxRay.Benchmarks.Samplers;

/// <summary>Tiny "--name value" parser for the sampler benchmarks; "--option key=value" may repeat.</summary>
public sealed class SamplerBenchmarkArgs(string[] args)
{
    public string? Get(string name)
    {
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] == "--" + name) return args[i + 1];
        return null;
    }

    public int Int(string name, int fallback) => Get(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => Get(name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;
    public string String(string name, string fallback) => Get(name) ?? fallback;

    public double[] Doubles(string name, double[] fallback) =>
        Get(name) is { } s ? s.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray() : fallback;

    public List<string> All(string name)
    {
        var list = new List<string>();
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] == "--" + name) list.Add(args[i + 1]);
        return list;
    }
}
