using OnnxRay.Abstractions;

namespace GoodPlugin;

public enum Flavour
{
    Plain,
    DualAveraging,
}

/// <summary>One option of each supported type.</summary>
public sealed class GoodOptions : SamplerOptions
{
    [SamplerOption("step-size", "Proposal standard deviation.")]
    public double StepSize { get; set; } = 0.25;

    [SamplerOption("steps", "Proposals per transition.")]
    public int Steps { get; set; } = 1;

    [SamplerOption("budget", "A long.")]
    public long Budget { get; set; } = 10_000_000_000;

    [SamplerOption("verbose", "A bool.")]
    public bool Verbose { get; set; }

    [SamplerOption("label", "A string.")]
    public string Label { get; set; } = "good";

    [SamplerOption("flavour", "An enum.")]
    public Flavour Flavour { get; set; } = Flavour.Plain;

    [SamplerOption("max-step-size", "A nullable double.")]
    public double? MaxStepSize { get; set; }

    public override IEnumerable<string> Validate()
    {
        if (!(StepSize > 0)) yield return $"step-size must be > 0 (got {StepSize}).";
        if (Steps < 1) yield return $"steps must be ≥ 1 (got {Steps}).";
    }
}
