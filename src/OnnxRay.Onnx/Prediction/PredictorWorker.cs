using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Parameters;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// One draw evaluator: a θ buffer of D floats whose tensor slices are bound (zero copy) as the graph's parameter
/// inputs. Workers are pooled by the predictor and reused across requests.
/// </summary>
internal sealed class PredictorWorker : IDisposable
{
    private readonly OrtValue[] _parameterValues;
    private readonly int _dataInputCount;

    public PredictorWorker(ParameterLayout layout, IReadOnlyList<string> parameterInputs, IReadOnlyList<string> dataInputs)
    {
        Theta = new float[layout.Dimension];
        var memory = new Memory<float>(Theta);
        _parameterValues = layout.Tensors.Where(t => t.IsInitializer)
            .Select(t => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory.Slice(t.Offset, t.Length), t.Shape))
            .ToArray();
        _dataInputCount = dataInputs.Count;
        InputNames = [.. dataInputs, .. parameterInputs];
        InputValues = new OrtValue[InputNames.Length];
        Array.Copy(_parameterValues, 0, InputValues, _dataInputCount, _parameterValues.Length);
    }

    /// <summary>The draw being evaluated; writes are seen by the next run without rebinding.</summary>
    public float[] Theta { get; }

    public RunOptions RunOptions { get; } = new();

    /// <summary>Data input names followed by parameter input names.</summary>
    public string[] InputNames { get; }

    /// <summary>Values in <see cref="InputNames"/> order; the data part is set per row chunk by <see cref="BindInputs"/>.</summary>
    public OrtValue[] InputValues { get; }

    public void BindInputs(OrtValue[] dataValues) => Array.Copy(dataValues, InputValues, _dataInputCount);

    public void Dispose()
    {
        foreach (var value in _parameterValues) value.Dispose();
        RunOptions.Dispose();
    }
}
