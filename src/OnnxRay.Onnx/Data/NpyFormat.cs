using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Data;

/// <summary>
/// Reads and writes numpy's .npy format (versions 1.0 and 2.0; C order; little-endian dtypes
/// &lt;f4 &lt;f8 &lt;f2 &lt;i8 &lt;i4 |b1 |u1 &lt;u2). Headers are padded so the data starts on a 64-byte boundary,
/// which keeps files memory-mappable with aligned element access.
/// </summary>
public static class NpyFormat
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int Alignment = 64;

    /// <summary>Product of the dimensions (1 for a scalar shape).</summary>
    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    /// <summary>Total header length in bytes (magic, version, length field, dictionary and padding) for this dtype and shape.</summary>
    public static int HeaderLength(string dtype, IReadOnlyList<long> shape) => BuildHeader(dtype, shape).Length;

    /// <summary>
    /// Writes only the header, so callers can stream the elements afterwards (e.g. a [draws, D] chunk written row by row).
    /// The caller must then write exactly ElementCount(shape) elements of <paramref name="dtype"/>.
    /// </summary>
    public static void WriteHeader(Stream stream, string dtype, IReadOnlyList<long> shape) => stream.Write(BuildHeader(dtype, shape));

    /// <summary>Writes raw little-endian elements (after <see cref="WriteHeader"/>).</summary>
    public static void WriteData<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("npy writing needs a little-endian machine.");
        stream.Write(MemoryMarshal.AsBytes(data));
    }

    public static void Write(Stream stream, float[] data, params long[] shape) => Write(stream, new NpyArray(NpyDtypes.Float32, shape, data));
    public static void Write(Stream stream, double[] data, params long[] shape) => Write(stream, new NpyArray(NpyDtypes.Float64, shape, data));
    public static void Write(Stream stream, long[] data, params long[] shape) => Write(stream, new NpyArray(NpyDtypes.Int64, shape, data));

    /// <summary>Writes a whole array (header and data).</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        var expected = NpyDtypes.Of(array.Data);
        if (expected != NpyDtypes.Canonical(array.Dtype))
            throw new ArgumentException($"npy array dtype '{array.Dtype}' does not match its {array.Data.GetType().Name} elements.");
        if (ElementCount(array.Shape) != array.Data.Length)
            throw new ArgumentException($"npy array shape [{string.Join(",", array.Shape)}] holds {ElementCount(array.Shape)} elements but {array.Data.Length} were given.");
        WriteHeader(stream, expected, array.Shape);
        switch (array.Data)
        {
            case float[] f: WriteData<float>(stream, f); break;
            case double[] d: WriteData<double>(stream, d); break;
            case long[] l: WriteData<long>(stream, l); break;
            case int[] i: WriteData<int>(stream, i); break;
            case Half[] h: WriteData<Half>(stream, h); break;
            case ushort[] w: WriteData<ushort>(stream, w); break;
            case byte[] u: stream.Write(u); break;
            case bool[] b:
                var bytes = new byte[b.Length];
                for (var k = 0; k < b.Length; k++) bytes[k] = b[k] ? (byte)1 : (byte)0;
                stream.Write(bytes);
                break;
        }
    }

    /// <summary>Writes an array to a file.</summary>
    public static void Write(string path, NpyArray array)
    {
        using var stream = File.Create(path);
        Write(stream, array);
    }

    /// <summary>Reads a .npy file.</summary>
    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads one array; <paramref name="sourceName"/> names the file (or npz member) in errors.</summary>
    public static NpyArray Read(Stream stream, string sourceName = "<stream>")
    {
        var (dtype, shape, _) = ReadHeader(stream, sourceName);
        var count = ElementCount(shape);
        if (count > Array.MaxLength) throw new OnnxFormatException(sourceName, $"array of {count} elements is too large to load into memory (memory-map it instead).");
        var data = NpyDtypes.Allocate(dtype, (int)count);
        try
        {
            switch (data)
            {
                case float[] f: stream.ReadExactly(MemoryMarshal.AsBytes(f.AsSpan())); break;
                case double[] d: stream.ReadExactly(MemoryMarshal.AsBytes(d.AsSpan())); break;
                case long[] l: stream.ReadExactly(MemoryMarshal.AsBytes(l.AsSpan())); break;
                case int[] i: stream.ReadExactly(MemoryMarshal.AsBytes(i.AsSpan())); break;
                case Half[] h: stream.ReadExactly(MemoryMarshal.AsBytes(h.AsSpan())); break;
                case ushort[] w: stream.ReadExactly(MemoryMarshal.AsBytes(w.AsSpan())); break;
                case byte[] u: stream.ReadExactly(u); break;
                case bool[] b:
                    var raw = new byte[b.Length];
                    stream.ReadExactly(raw);
                    for (var k = 0; k < raw.Length; k++) b[k] = raw[k] != 0;
                    break;
            }
        }
        catch (EndOfStreamException e)
        {
            throw new OnnxFormatException(sourceName, $"npy data is truncated: expected {count} elements of {dtype} for shape [{string.Join(",", shape)}].", e);
        }
        return new NpyArray(dtype, shape, data);
    }

    /// <summary>
    /// Reads and validates the header; returns the canonical dtype, the shape and the header length in bytes
    /// (the offset of the first element, for memory mapping).
    /// </summary>
    public static (string Dtype, long[] Shape, int HeaderLength) ReadHeader(Stream stream, string sourceName = "<stream>")
    {
        Span<byte> prefix = stackalloc byte[8];
        try { stream.ReadExactly(prefix); }
        catch (EndOfStreamException e) { throw new OnnxFormatException(sourceName, "not an npy file: shorter than the 8-byte preamble.", e); }
        if (!prefix[..6].SequenceEqual(Magic)) throw new OnnxFormatException(sourceName, "not an npy file: missing the \\x93NUMPY magic string.");
        var major = prefix[6];
        int dictLength, preamble;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            stream.ReadExactly(len);
            dictLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
            preamble = 10;
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            stream.ReadExactly(len);
            var l = BinaryPrimitives.ReadUInt32LittleEndian(len);
            if (l > 1 << 24) throw new OnnxFormatException(sourceName, $"npy header length {l} is implausible.");
            dictLength = (int)l;
            preamble = 12;
        }
        else throw new OnnxFormatException(sourceName, $"unsupported npy format version {major}.{prefix[7]} (supported: 1.0, 2.0, 3.0).");

        var dictBytes = new byte[dictLength];
        try { stream.ReadExactly(dictBytes); }
        catch (EndOfStreamException e) { throw new OnnxFormatException(sourceName, "npy header is truncated.", e); }
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(dictBytes);
        var (descr, fortran, shape) = ParseHeaderDictionary(text, sourceName);
        if (fortran) throw new OnnxFormatException(sourceName, "npy array is in Fortran order; only C order is supported (save with np.ascontiguousarray).");
        var dtype = NpyDtypes.Canonical(descr);
        try { NpyDtypes.ItemSize(dtype); }
        catch (ArgumentException) { throw new OnnxFormatException(sourceName, $"unsupported npy dtype '{descr}' (supported: <f4 <f8 <f2 <i8 <i4 |b1 |u1 <u2)."); }
        return (dtype, shape, preamble + dictLength);
    }

    private static byte[] BuildHeader(string dtype, IReadOnlyList<long> shape)
    {
        var canonical = NpyDtypes.Canonical(dtype);
        NpyDtypes.ItemSize(canonical);
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"npy shape [{string.Join(",", shape)}] has a negative dimension.");
        var shapeText = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var dict = $"{{'descr': '{canonical}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Version 1.0 stores the length in 2 bytes; fall back to 2.0 for enormous shapes.
        var preamble = dict.Length + 1 + 10 <= ushort.MaxValue ? 10 : 12;
        var total = preamble + dict.Length + 1;
        var padded = (total + Alignment - 1) / Alignment * Alignment;
        var dictLength = padded - preamble;
        var header = new byte[padded];
        Magic.CopyTo(header, 0);
        header[6] = preamble == 10 ? (byte)1 : (byte)2;
        header[7] = 0;
        if (preamble == 10) BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)dictLength);
        else BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)dictLength);
        var body = header.AsSpan(preamble);
        body.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, body);
        body[^1] = (byte)'\n';
        return header;
    }

    private static (string Descr, bool Fortran, long[] Shape) ParseHeaderDictionary(string text, string sourceName)
    {
        string Fail(string what) => throw new OnnxFormatException(sourceName, $"malformed npy header ({what}): {text.Trim()}");
        var descr = FindValue(text, "descr") ?? Fail("no 'descr'");
        descr = descr.Trim().Trim('\'', '"');
        var fortranText = FindValue(text, "fortran_order") ?? Fail("no 'fortran_order'");
        var fortran = fortranText.Trim() switch
        {
            "True" => true,
            "False" => false,
            _ => throw new OnnxFormatException(sourceName, $"malformed npy header (bad 'fortran_order'): {text.Trim()}"),
        };
        var shapeStart = text.IndexOf("'shape'", StringComparison.Ordinal);
        if (shapeStart < 0) Fail("no 'shape'");
        var open = text.IndexOf('(', shapeStart);
        var close = open < 0 ? -1 : text.IndexOf(')', open);
        if (open < 0 || close < 0) Fail("bad 'shape'");
        var dims = new List<long>();
        foreach (var part in text[(open + 1)..close].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var p = part.TrimEnd('L');
            if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var d)) Fail($"bad dimension '{part}'");
            dims.Add(d);
        }
        return (descr, fortran, dims.ToArray());
    }

    /// <summary>The raw text of a simple (non-tuple) value for a key in the header dictionary.</summary>
    private static string? FindValue(string text, string key)
    {
        var at = text.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (at < 0) return null;
        var colon = text.IndexOf(':', at);
        if (colon < 0) return null;
        var end = colon + 1;
        var inQuote = false;
        while (end < text.Length && (inQuote || (text[end] != ',' && text[end] != '}')))
        {
            if (text[end] is '\'' or '"') inQuote = !inQuote;
            end++;
        }
        return text[(colon + 1)..end];
    }
}
