namespace OnnxRay.Cli.Tests;

/// <summary>A run folder with a missing or corrupted chunk: diagnose and predict refuse it and name the chunk file.</summary>
[Collection(CliCollection.Name)]
public sealed class DamagedRunTests(BostonRunFixture boston)
{
    public enum Damage { Deleted, ByteFlipped }

    [Theory]
    [InlineData(Damage.Deleted, "diagnose")]
    [InlineData(Damage.Deleted, "predict")]
    [InlineData(Damage.ByteFlipped, "diagnose")]
    [InlineData(Damage.ByteFlipped, "predict")]
    public void Damaged_chunk_is_named_and_the_command_fails(Damage damage, string command)
    {
        var root = CliTool.NewTempFolder("damaged");
        try
        {
            var run = boston.CopyRun(Path.Combine(root, "run"));
            var chunk = Path.Combine(run, "chain-1", "draws-0001.npy");
            Assert.True(File.Exists(chunk));
            if (damage == Damage.Deleted) File.Delete(chunk);
            else
            {
                var bytes = File.ReadAllBytes(chunk);
                bytes[bytes.Length - 7] ^= 0x40; // a data byte, not the header: only the checksum can catch it
                File.WriteAllBytes(chunk, bytes);
            }

            var result = command == "diagnose"
                ? CliTool.Run("diagnose", run, "--no-plots")
                : CliTool.Run("predict", run, "--data", BostonRunFixture.TestCsv, "--target-column", "target", "--out", Path.Combine(root, "pred.csv"));
            Assert.True(result.ExitCode != 0, result.ToString());
            Assert.Contains("error:", result.StdErr);
            Assert.Contains("draws-0001.npy", result.StdErr);
            Assert.Contains("chain-1", result.StdErr);
            Assert.DoesNotContain("   at ", result.StdErr); // one clear line, not a stack trace
            if (command == "predict") Assert.False(File.Exists(Path.Combine(root, "pred.csv")));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
