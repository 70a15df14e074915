namespace OnnxRay.Cli.Tests;

/// <summary>A bad command line fails before any sampling, with a message naming the option at fault.</summary>
[Collection(CliCollection.Name)]
public sealed class BadArgumentTests
{
    private static string[] Sample(string outFolder, params string[] overrides)
    {
        var args = new List<string>(BostonRunFixture.SampleArgs(outFolder, warmup: 2, draws: 2, chunkSize: 2));
        for (var i = 0; i < overrides.Length; i += 2)
        {
            var at = args.IndexOf(overrides[i]);
            if (overrides[i + 1] == "<remove>") args.RemoveRange(at, 2);
            else if (at >= 0 && overrides[i] != "--sampler-option") args[at + 1] = overrides[i + 1];
            else args.AddRange([overrides[i], overrides[i + 1]]);
        }
        return [.. args];
    }

    [Theory]
    [InlineData("--chains", "0", "--chains")]
    [InlineData("--chains", "x", "--chains")]
    [InlineData("--draws", "-5", "--draws")]
    [InlineData("--sampler", "no-such-sampler", "no-such-sampler")]
    [InlineData("--sampler-option", "unknown-key=1", "unknown-key")]
    [InlineData("--sampler-option", "max-steps=abc", "max-steps")]
    [InlineData("--likelihood", "gaussian:abc", "gaussian:abc")]
    [InlineData("--likelihood", "<remove>", "--likelihood")]
    [InlineData("--data", "<remove>", "--data")]
    [InlineData("--target-column", "no_such_column", "no_such_column")]
    [InlineData("--prior", "gaussian:-1", "--prior")]
    public void Bad_sample_option_is_named(string option, string value, string expectedInMessage)
    {
        var root = CliTool.NewTempFolder("badarg");
        try
        {
            var run = Path.Combine(root, "run");
            var result = CliTool.Run(Sample(run, option, value));
            Assert.True(result.ExitCode != 0, result.ToString());
            Assert.Contains(expectedInMessage, result.StdErr);
            Assert.DoesNotContain("   at ", result.StdErr);
            Assert.False(Directory.Exists(Path.Combine(run, "chain-0")), "a run was started despite the bad option");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Out_to_an_existing_folder_that_is_not_a_run_is_refused_and_left_alone()
    {
        var root = CliTool.NewTempFolder("badout");
        try
        {
            var precious = Path.Combine(root, "precious.txt");
            File.WriteAllText(precious, "keep me");
            var result = CliTool.Run(Sample(root));
            Assert.True(result.ExitCode != 0, result.ToString());
            // The message names the folder given to --out (and says to choose a new one).
            Assert.Contains("error:", result.StdErr);
            Assert.True(result.StdErr.Contains("--out", StringComparison.Ordinal) || result.StdErr.Contains(root, StringComparison.Ordinal), result.ToString());
            Assert.Equal("keep me", File.ReadAllText(precious));
            Assert.False(File.Exists(Path.Combine(root, "manifest.json")));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Predict_without_data_names_the_option()
    {
        var result = CliTool.Run("predict", "some-run", "--out", "x.csv");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--data", result.StdErr);
    }

    [Fact]
    public void Resume_of_a_folder_that_is_not_a_run_names_the_manifest()
    {
        var root = CliTool.NewTempFolder("badresume");
        try
        {
            var result = CliTool.Run("sample", "--resume", root);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("manifest.json", result.StdErr);
            Assert.DoesNotContain("   at ", result.StdErr);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
