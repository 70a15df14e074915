namespace OnnxRay.Sampling.Storage;

/// <summary>
/// bfloat16 as 16-bit words: the top half of an IEEE float32 (same 8-bit exponent, so the same range, 8 significant bits).
/// numpy has no bfloat16 dtype, so draws are stored as '&lt;u2' words and widened here.
/// </summary>
public static class BFloat16Bits
{
    /// <summary>Rounds to the nearest bfloat16 (ties to even); NaN stays a (quiet) NaN, ±∞ stays ±∞.</summary>
    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        // Rounding a NaN payload could carry into the exponent and give ∞: keep the sign, force a quiet NaN.
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>The exact float32 value of a bfloat16 word.</summary>
    public static float ToSingle(ushort word) => BitConverter.UInt32BitsToSingle((uint)word << 16);
}
