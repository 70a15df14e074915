using Microsoft.ML.OnnxRuntime;

namespace OnnxRay.Onnx.Prediction;

/// <summary>Receives one row chunk's output of a draw while ORT's result is alive (copy what you need).</summary>
internal delegate void ChunkOutputSink(int chunk, OrtValue output);

/// <summary>Runs the forward pass of one posterior draw over row chunks. Thread-safe: draws run concurrently.</summary>
internal interface IDrawRunner : IDisposable
{
    /// <summary>
    /// Runs draw <paramref name="index"/> of <paramref name="draws"/> on every chunk of <paramref name="chunks"/> (data inputs in model order) and
    /// hands each output to <paramref name="sink"/>. Returns the draw's θ value at the learned log σ (NaN when none).
    /// </summary>
    float Run(IDrawSource draws, int index, IReadOnlyList<OrtValue[]> chunks, ChunkOutputSink sink);
}
