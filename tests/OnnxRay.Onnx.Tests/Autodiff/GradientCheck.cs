using OnnxRay.Onnx.Density;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Tests.AutodiffEngine;

/// <summary>Engine gradient vs central finite differences of the value-only graph (points chosen away from kinks).</summary>
internal static class GradientCheck
{
    /// <summary>Gradient at θ₀ of the density output:L over all selected parameters, and a value function for differences.</summary>
    public static (float[] Theta, float[] Gradient, OrtLogDensity Density) Evaluate(OnnxModel model, GraphCase graph, string likelihood = "output:L", string prior = "none", string glob = "*")
    {
        var density = OrtLogDensity.Create(model, DensityData.FromArrays(graph.Data), DensityOptions.Parse(likelihood, prior), null, ParameterSelection.Parse(glob));
        var theta = density.InitialTheta.ToArray();
        var gradient = new float[density.Dimension];
        density.Evaluate(theta, gradient);
        return (theta, gradient, density);
    }

    /// <summary>Asserts norm-wise relative error ≤ tolerance between the engine gradient and central differences, per tensor.</summary>
    public static void AgainstFiniteDifferences(OnnxModel model, GraphCase graph, string likelihood = "output:L", string prior = "none", double tolerance = 2e-3, string glob = "*")
    {
        var (theta, gradient, density) = Evaluate(model, graph, likelihood, prior, glob);
        using (density)
        {
            var fd = new double[theta.Length];
            for (var i = 0; i < theta.Length; i++)
            {
                var original = theta[i];
                var h = 1e-2f * Math.Max(1f, Math.Abs(original));
                theta[i] = original + h;
                var up = density.EvaluateValue(theta);
                theta[i] = original - h;
                var down = density.EvaluateValue(theta);
                theta[i] = original;
                fd[i] = (up - down) / (2.0 * h);
            }
            foreach (var t in density.Layout.Tensors)
            {
                double diff = 0, norm = 0;
                for (var i = t.Offset; i < t.Offset + t.Length; i++)
                {
                    diff += (gradient[i] - fd[i]) * (gradient[i] - fd[i]);
                    norm += fd[i] * fd[i];
                }
                var relative = Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-6);
                Assert.True(relative <= tolerance,
                    $"gradient of '{t.Name}': relative error {relative:E2} (engine [{string.Join(", ", gradient.Skip(t.Offset).Take(Math.Min(6, t.Length)))}…] vs differences [{string.Join(", ", fd.Skip(t.Offset).Take(Math.Min(6, t.Length)).Select(v => v.ToString("G6")))}…])");
            }
        }
    }
}
