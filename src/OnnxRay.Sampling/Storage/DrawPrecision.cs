namespace OnnxRay.Sampling.Storage;

/// <summary>Element type of the stored draws.</summary>
public enum DrawPrecision
{
    /// <summary>numpy '&lt;f4' (exactly the sampler's float32 positions).</summary>
    Float32,

    /// <summary>numpy '&lt;f2' (half the disk; rounds each coordinate to ~3 significant digits).</summary>
    Float16,

    /// <summary>
    /// bfloat16: half the disk like float16 but float32's exponent range (no overflow for large weights), ~2–3 significant
    /// digits. numpy has no bfloat16, so chunks hold '&lt;u2' words (the top 16 bits of each float32); the manifest says
    /// "bfloat16". In numpy: <c>(np.load(p).astype(np.uint32) &lt;&lt; 16).view(np.float32)</c>.
    /// </summary>
    BFloat16,
}
