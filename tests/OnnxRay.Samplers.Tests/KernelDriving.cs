using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Tests;

/// <summary>Drives kernels the way the run driver does, for checkpoint tests.</summary>
internal static class KernelDriving
{
    /// <summary>Takes <paramref name="steps"/> transitions, calling Adapt during the first <paramref name="warmup"/> and EndWarmup after them.</summary>
    public static void Advance(ISamplerKernel kernel, int steps, int warmup)
    {
        for (var i = 0; i < steps; i++)
        {
            var info = kernel.Step();
            if (i < warmup) kernel.Adapt(info);
            if (i == warmup - 1) kernel.EndWarmup();
        }
    }

    /// <summary>Saves <paramref name="source"/>'s whole state and restores it into <paramref name="target"/> (already initialised).</summary>
    public static void CopyState(ISamplerKernel source, ISamplerKernel target)
    {
        using var buffer = new MemoryStream();
        source.SaveState(new BinaryWriter(buffer));
        buffer.Position = 0;
        target.RestoreState(new BinaryReader(buffer));
    }
}
