using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using OnnxRay.Sampling.Driver;
using OnnxRay.Sampling.Storage;
using OnnxRay.Sampling.Tests.Driver;

namespace OnnxRay.Sampling.Tests.Storage;

public class RunFolderTests
{
    private static readonly SamplingRunSettings Settings = DriverRuns.Small with { Chains = 2, Draws = 60, ChunkSize = 25 };

    [Theory]
    [InlineData(DrawPrecision.Float32, "<f4", 4)]
    [InlineData(DrawPrecision.Float16, "<f2", 2)]
    [InlineData(DrawPrecision.BFloat16, "<u2", 2)]
    public void Chunks_are_plain_numpy_files_with_aligned_data(DrawPrecision precision, string descr, int itemSize)
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings with { Precision = precision }).Run();
        using var run = RunFolder.Open(temp.Path);
        var chain = run.Chains[1];
        for (var c = 0; c < chain.Chunks.Count; c++)
        {
            var bytes = File.ReadAllBytes(chain.ChunkPath(c));
            // Parse the header by hand, independently of the writer's own reader.
            Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
            var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            var dataStart = 10 + headerLength;
            Assert.Equal(0, dataStart % 64);
            var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
            Assert.EndsWith("\n", header);
            var rows = chain.Chunks[c].DrawCount;
            Assert.Contains($"'descr': '{descr}'", header);
            Assert.Contains("'fortran_order': False", header);
            Assert.Contains($"'shape': ({rows}, {DriverRuns.Dimension})", header);
            Assert.Equal(dataStart + rows * DriverRuns.Dimension * itemSize, bytes.Length);

            // Row-major data: the first element of the chunk's last row is what the reader returns.
            var lastRow = chain.Chunks[c].FirstDraw + rows - 1;
            var offset = dataStart + (rows - 1) * DriverRuns.Dimension * itemSize;
            var raw = descr switch
            {
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset)),
                "<f2" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(offset)),
                // bfloat16 word = the top 16 bits of a float32.
                _ => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset)) << 16),
            };
            Assert.Equal(chain.ReadDraw(lastRow)[0], raw);
        }
    }

    [SkippableFact]
    public void Numpy_memory_maps_the_chunks()
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), "no /usr/bin/python3");
        Skip.IfNot(Run(python, "-c \"import numpy\"").ExitCode == 0, "python3 has no numpy");

        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings).Run();
        using var run = RunFolder.Open(temp.Path);
        var chain = run.Chains[0];
        var path = chain.ChunkPath(1);
        var script = $"import numpy as np; a = np.load(r'{path}', mmap_mode='r'); print(a.dtype, a.shape, repr(float(a[3, 2])))";
        var result = Run(python, $"-c \"{script}\"");
        Assert.True(result.ExitCode == 0, result.Output);
        var expected = chain.ReadDraw(chain.Chunks[1].FirstDraw + 3)[2];
        Assert.Equal($"float32 (25, {DriverRuns.Dimension}) {((double)expected).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", result.Output.Trim());
    }

    [Fact]
    public void A_deleted_chunk_is_named()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings).Run();
        var victim = Path.Combine(RunLayout.ChainFolder(temp.Path, 1), RunLayout.ChunkFileName(1));
        File.Delete(victim);

        var e = Assert.Throws<RunFolderException>(() => RunFolder.Open(temp.Path));
        Assert.Equal(victim, e.FilePath);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void A_corrupted_chunk_is_named()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings).Run();
        var victim = Path.Combine(RunLayout.ChainFolder(temp.Path, 0), RunLayout.ChunkFileName(2));
        var bytes = File.ReadAllBytes(victim);
        bytes[^3] ^= 0x40; // one flipped bit in the data
        File.WriteAllBytes(victim, bytes);

        var e = Assert.Throws<RunFolderException>(() => RunFolder.Open(temp.Path));
        Assert.Equal(victim, e.FilePath);
        Assert.Contains("corrupt", e.Message);
        // Without checksums the size and header still pass: the flip is only detectable by hash.
        using var unchecked_ = RunFolder.Open(temp.Path, verifyChecksums: false);
    }

    [Fact]
    public void A_truncated_chunk_is_named_even_without_checksums()
    {
        using var temp = new TempFolder();
        DriverRuns.Create(temp.Path, Settings).Run();
        var victim = Path.Combine(RunLayout.ChainFolder(temp.Path, 0), RunLayout.ChunkFileName(0));
        var bytes = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, bytes[..^4]);

        var e = Assert.Throws<RunFolderException>(() => RunFolder.Open(temp.Path, verifyChecksums: false));
        Assert.Equal(victim, e.FilePath);
    }

    [Fact]
    public void The_manifest_records_the_run_and_readers_see_only_committed_chunks()
    {
        using var temp = new TempFolder();
        var description = new RunDescription
        {
            Model = new FileReference("model.onnx", new string('a', 64)),
            Parameters = [new ParameterLayoutEntry("w", [2, 2], 0), new ParameterLayoutEntry("b", [1], 4)],
            Data = [new DataReference("x", "data.npz", new string('b', 64), [100, 3])],
            Likelihood = "gaussian(sigma=1)",
            Prior = "gaussian(sigma=1)",
        };
        var run = SamplingRun.Create(temp.Path, Settings, new Driver.TestKernels.RandomWalkFactory(), new Driver.TestKernels.RandomWalkOptions(),
            DriverRuns.InitialPosition, DriverRuns.Density, description);
        using var cts = new CancellationTokenSource();
        // Stop chain 0 mid-way through its second chunk.
        run.Run(cancellationToken: new CancellationToken(true));
        var resumed = SamplingRun.Resume(temp.Path, new Driver.TestKernels.RandomWalkFactory(),
            k => DriverRuns.Density(k, inner => new Driver.TestKernels.TrippingDensity(inner, 1 + 40 + 2 * 40, cts.Cancel)));
        resumed.Run(cancellationToken: cts.Token);

        using var folder = RunFolder.Open(temp.Path);
        var m = folder.Manifest;
        Assert.Equal(RunManifest.CurrentFormatVersion, m.FormatVersion);
        Assert.Equal("test-random-walk", m.Sampler.Name);
        Assert.Equal("0.5", m.Sampler.Options["scale"]);
        Assert.Null(m.Sampler.Options["max-scale"]);
        Assert.Equal((Settings.Seed, 2, 40, 60, 2, 25, "<f4", DriverRuns.Dimension), (m.Seed, m.Chains, m.Warmup, m.Draws, m.Thin, m.ChunkSize, m.Dtype, m.Dimension));
        Assert.Equal("b", m.Parameters[1].Name);
        Assert.Equal([100L, 3L], m.Data[0].Shape);
        Assert.Equal(DriverRuns.InitialPosition, RunFolder.ReadInitialPosition(temp.Path, m));

        // 40 draws were taken, 25 committed: readers see one chunk, and exactly its 25 stats rows.
        var chain = folder.Chains[0];
        Assert.False(chain.IsComplete);
        Assert.Equal(25, chain.DrawCount);
        Assert.Equal(25, chain.ReadStats().Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => chain.ReadDraw(25));
    }

    private static (int ExitCode, string Output) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
