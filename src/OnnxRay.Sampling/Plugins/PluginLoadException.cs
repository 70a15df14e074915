namespace OnnxRay.Sampling.Plugins;

/// <summary>A plugin could not be loaded; <see cref="Problem"/> names the assembly and the failure mode.</summary>
public sealed class PluginLoadException(PluginProblem problem)
    : OnnxRay.Onnx.Errors.OnnxRayException(problem.Message, problem.Exception)
{
    public PluginProblem Problem { get; } = problem;
}
