using Microsoft.ML.OnnxRuntime;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// Receives draw <paramref name="draw"/>'s output for row chunk <paramref name="chunk"/> while ORT's result is alive (copy
/// what you need), with the draw's θ value at the learned log σ (NaN when none).
/// </summary>
internal delegate void DrawOutputSink(int draw, int chunk, OrtValue output, float logSigma);

/// <summary>Runs the forward passes of posterior draws, a block of consecutive draws at a time. Thread-safe: blocks run concurrently.</summary>
internal interface IDrawRunner : IDisposable
{
    /// <summary>Draws evaluated together: block b holds draws b·BlockSize … min((b+1)·BlockSize, M) − 1.</summary>
    int BlockSize { get; }

    /// <summary>
    /// Runs the block of <paramref name="draws"/> that starts at draw <paramref name="first"/> on every chunk of
    /// <paramref name="chunks"/> (data inputs in model order) and hands each draw's output to <paramref name="sink"/>.
    /// </summary>
    void Run(IDrawSource draws, int first, IReadOnlyList<OrtValue[]> chunks, DrawOutputSink sink);
}
