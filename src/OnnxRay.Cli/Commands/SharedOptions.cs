using System.CommandLine;

namespace OnnxRay.Cli.Commands;

/// <summary>Options that several commands share, created fresh per command (an option instance belongs to one command).</summary>
internal static class SharedOptions
{
    public static Option<string[]> PluginFolders() => new("--plugins")
    {
        Description = "Extra plugin folder (repeatable); also read from ONNXRAY_PLUGINS.",
        DefaultValueFactory = _ => [],
    };

    public static Option<string> Likelihood() => new("--likelihood")
    {
        Description = "categorical | gaussian:SIGMA | gaussian | bernoulli | output:NAME | loss:NAME",
        Required = true,
    };

    public static Option<string> Prior() => new("--prior")
    {
        Description = "none | gaussian:SCALE | gaussian-fanin:SCALE",
        DefaultValueFactory = _ => "none",
    };

    public static Option<string?> Params() => new("--params")
    {
        Description = "Glob(s) selecting which initializers are sampled, comma-separated (e.g. \"fc.*\"); default: all weights.",
    };

    public static Option<string?> Output() => new("--output")
    {
        Description = "Name of the model output that is the prediction (default: the first output).",
    };

    public static Option<bool> TieAliases() => new("--tie-aliases")
    {
        Description = "Keep Identity aliases of a shared initializer tied to it (one parameter, gradients summed) instead of untying them into parameters of their own.",
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu or cuda:N (CUDA needs the GPU build: -p:OnnxRayGpu=true).",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "ONNX Runtime intra-op threads per session (0 = ONNX Runtime's default).",
        DefaultValueFactory = _ => 0,
    };
}
