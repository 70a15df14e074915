namespace OnnxRay.Sampling.Storage;

/// <summary>Element type of the stored draws.</summary>
public enum DrawPrecision
{
    /// <summary>numpy '&lt;f4' (exactly the sampler's float32 positions).</summary>
    Float32,

    /// <summary>numpy '&lt;f2' (half the disk; rounds each coordinate to ~3 significant digits).</summary>
    Float16,
}
