using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace OnnxRay.Cli.Tests;

/// <summary>The draws chunks are plain numpy .npy files: parsed here by hand, and by numpy itself when it is installed.</summary>
[Collection(CliCollection.Name)]
public sealed partial class NpyChunkTests(BostonRunFixture boston)
{
    [Fact]
    public void Chunks_have_a_numpy_v1_header_and_the_values_the_chain_reader_returns()
    {
        using var folder = OnnxRay.Sampling.Storage.RunFolder.Open(boston.RunFolder);
        var dimension = folder.Manifest.Dimension;
        Assert.True(dimension > 100, $"D = {dimension}");
        Assert.Equal(BostonRunFixture.Chains, folder.Chains.Count);
        var checkedChunks = 0;
        foreach (var chain in folder.Chains)
        {
            Assert.Equal(BostonRunFixture.Draws, chain.DrawCount);
            long draw = 0;
            for (var c = 0; c < chain.Chunks.Count; c++)
            {
                var path = chain.ChunkPath(c);
                Assert.Equal(Path.Combine(boston.RunFolder, $"chain-{chain.ChainIndex}", $"draws-{c:D4}.npy"), path);
                var (rows, cols, values) = ParseNpy(File.ReadAllBytes(path));
                Assert.Equal(chain.Chunks[c].DrawCount, rows);
                Assert.Equal(dimension, cols);
                for (var r = 0; r < rows; r++, draw++)
                {
                    var expected = chain.ReadDraw(draw);
                    var actual = values.AsSpan(r * cols, cols).ToArray();
                    Assert.Equal(expected, actual); // exact float equality: the same bytes
                }
                checkedChunks++;
            }
        }
        Assert.Equal(BostonRunFixture.Chains * BostonRunFixture.Draws / BostonRunFixture.ChunkSize, checkedChunks);

        // Draws are not all identical (the sampler moved), and they are finite.
        var first = folder.Chains[0].ReadDraw(0);
        var last = folder.Chains[0].ReadDraw(BostonRunFixture.Draws - 1);
        Assert.All(first, x => Assert.True(float.IsFinite(x)));
        Assert.NotEqual(first, last);
    }

    [Fact]
    public void Initial_theta_is_a_numpy_vector_of_length_D()
    {
        using var folder = OnnxRay.Sampling.Storage.RunFolder.Open(boston.RunFolder);
        var bytes = File.ReadAllBytes(Path.Combine(boston.RunFolder, "initial.npy"));
        var header = ReadHeader(bytes, out _);
        Assert.Matches(@"'shape':\s*\(" + folder.Manifest.Dimension + @",\s*\)", header);
    }

    [SkippableFact]
    public void Numpy_memory_maps_a_chunk_and_sees_the_same_values()
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), $"{python} is not installed");
        var probe = CliTool.RunProcess(python, ["-c", "import numpy"], Path.GetTempPath(), TimeSpan.FromMinutes(1));
        Skip.If(probe.ExitCode != 0, $"numpy is not importable by {python} (install python3-numpy): {probe.StdErr.Trim()}");

        using var folder = OnnxRay.Sampling.Storage.RunFolder.Open(boston.RunFolder);
        var chain = folder.Chains[1];
        var path = chain.ChunkPath(1);
        const string script =
            "import sys, numpy as np\n" +
            "a = np.load(sys.argv[1], mmap_mode='r')\n" +
            "assert isinstance(a, np.memmap), type(a)\n" +
            "print(a.dtype.str, a.shape[0], a.shape[1], int(a.flags['C_CONTIGUOUS']))\n" +
            "print(repr(float(a[0, 0])), repr(float(a[-1, -1])), repr(float(a.astype(np.float64).sum())))\n";
        var r = CliTool.RunProcess(python, ["-c", script, path], Path.GetTempPath(), TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"<f4 {chain.Chunks[1].DrawCount} {folder.Manifest.Dimension} 1", lines[0].Trim());

        var firstDraw = chain.Chunks[1].FirstDraw;
        var lastDraw = firstDraw + chain.Chunks[1].DrawCount - 1;
        var values = lines[1].Trim().Split(' ').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal((double)chain.ReadDraw(firstDraw)[0], values[0]);
        Assert.Equal((double)chain.ReadDraw(lastDraw)[^1], values[1]);
        double sum = 0;
        for (var d = firstDraw; d <= lastDraw; d++) foreach (var x in chain.ReadDraw(d)) sum += x;
        Assert.Equal(sum, values[2], Math.Abs(sum) * 1e-9 + 1e-9);
    }

    /// <summary>Parses a float32 C-order 2-D .npy file per the numpy format spec (NEP 1).</summary>
    internal static (int Rows, int Cols, float[] Values) ParseNpy(byte[] bytes)
    {
        var header = ReadHeader(bytes, out var dataStart);
        Assert.Matches(@"'descr':\s*'<f4'", header);
        Assert.Matches(@"'fortran_order':\s*False", header);
        var shape = ShapeRegex().Match(header);
        Assert.True(shape.Success, $"no 2-D shape in header: {header}");
        var rows = int.Parse(shape.Groups[1].Value);
        var cols = int.Parse(shape.Groups[2].Value);
        Assert.Equal(dataStart + 4L * rows * cols, bytes.Length);
        var values = new float[rows * cols];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + 4 * i, 4));
        return (rows, cols, values);
    }

    /// <summary>Checks magic, version and alignment; returns the header dict text and where the data starts.</summary>
    internal static string ReadHeader(byte[] bytes, out int dataStart)
    {
        Assert.True(bytes.Length >= 16, "file too short for an npy header");
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }, bytes[..6]);
        var major = bytes[6];
        Assert.True(major is 1 or 2 or 3, $"npy version {major}.{bytes[7]}");
        int headerLength, prefix;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2)); prefix = 10; }
        else { headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8, 4))); prefix = 12; }
        dataStart = prefix + headerLength;
        Assert.True(dataStart % 64 == 0, $"data starts at byte {dataStart}, not 64-byte aligned");
        var header = Encoding.ASCII.GetString(bytes, prefix, headerLength);
        Assert.EndsWith("\n", header);
        Assert.StartsWith("{", header.TrimStart());
        Assert.Contains("}", header);
        Assert.Matches(@"'descr':\s*'<f[48]'", header);
        return header;
    }

    [GeneratedRegex(@"'shape':\s*\((\d+),\s*(\d+)\)")]
    private static partial Regex ShapeRegex();
}
