using Microsoft.ML.OnnxRuntime;

namespace OnnxRay.Onnx.Prediction;

/// <summary>
/// A CPU arena allocator registered once per process with ONNX Runtime's environment, for sessions that opt in with
/// <c>session.use_env_allocators</c> (the resident draw sessions): they then share one pool of intermediate buffers.
/// </summary>
internal static class SharedCpuArena
{
    private static readonly Lazy<bool> Registration = new(Register);

    /// <summary>Whether the environment has a CPU arena to share (false if ORT refused to register one).</summary>
    public static bool Registered => Registration.Value;

    private static bool Register()
    {
        try
        {
            using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
            using var arena = new OrtArenaCfg(0, -1, -1, -1); // ORT's defaults
            OrtEnv.Instance().CreateAndRegisterAllocator(info, arena);
            return true;
        }
        catch (OnnxRuntimeException)
        {
            // ORT refused (e.g. the host registered a CPU allocator of its own): sessions keep their own arenas.
            return false;
        }
    }
}
