using System.Text.Json;
using OnnxRay.Onnx.Data;

namespace OnnxRay.Sampling.Storage;

/// <summary>
/// A run folder: <c>manifest.json</c>, <c>initial.npy</c>, and per chain <c>chain-K/</c> with <c>draws-NNNN.npy</c>
/// chunks (float32 or float16 [draws, D], numpy-loadable and memory-mappable), <c>chunks.json</c> (the committed
/// chunks with SHA-256), <c>stats.csv</c> and <c>checkpoint.bin</c>. <see cref="Open"/> verifies it; the chain
/// readers expose committed draws and stats only.
/// </summary>
public sealed class RunFolder : IDisposable
{
    private readonly ChainReader[] _chains;

    private RunFolder(string path, RunManifest manifest, ChainReader[] chains)
    {
        FolderPath = path;
        Manifest = manifest;
        _chains = chains;
    }

    public string FolderPath { get; }
    public RunManifest Manifest { get; }

    /// <summary>One reader per chain, index = chain number.</summary>
    public IReadOnlyList<ChainReader> Chains => _chains;

    /// <summary>
    /// Opens and verifies a run folder: the manifest parses, every chain has an index, and every committed chunk
    /// exists, has the right npy header and size, and (when <paramref name="verifyChecksums"/>) matches its SHA-256.
    /// </summary>
    /// <param name="path">The run folder.</param>
    /// <param name="verifyChecksums">Check every committed chunk against its SHA-256.</param>
    /// <param name="allowUnstartedChains">A chain whose folder does not exist yet (a shared run folder whose array task for
    /// that chain has not started) is opened as an empty chain (<see cref="ChainReader.IsStarted"/> false) instead of an error.</param>
    /// <exception cref="RunFolderException">Names the manifest, index, chunk or stats file that is missing or corrupt.</exception>
    public static RunFolder Open(string path, bool verifyChecksums = true, bool allowUnstartedChains = false)
    {
        var folder = Path.GetFullPath(path);
        var manifest = ReadManifest(folder);
        var chains = new ChainReader[manifest.Chains];
        for (var k = 0; k < manifest.Chains; k++)
        {
            var indexPath = RunLayout.ChunkIndexPath(folder, k);
            if (!File.Exists(indexPath))
            {
                if (!allowUnstartedChains || Directory.Exists(RunLayout.ChainFolder(folder, k)))
                    throw new RunFolderException(indexPath, $"chunk index of chain {k} is missing.");
                var empty = new ChunkIndex { Chain = k, Dimension = manifest.Dimension, Dtype = manifest.Dtype };
                chains[k] = new ChainReader(folder, k, empty, [], isStarted: false);
                continue;
            }
            var index = ChunkIndex.Read(indexPath);
            if (index.Dimension != manifest.Dimension || index.Dtype != manifest.Dtype)
                throw new RunFolderException(indexPath, $"index says D={index.Dimension} {index.Dtype}, manifest says D={manifest.Dimension} {manifest.Dtype}.");
            var headerLengths = new int[index.Chunks.Count];
            long expectedFirst = 0;
            for (var c = 0; c < index.Chunks.Count; c++)
            {
                var entry = index.Chunks[c];
                var chunkPath = Path.Combine(RunLayout.ChainFolder(folder, k), entry.File);
                if (entry.FirstDraw != expectedFirst)
                    throw new RunFolderException(indexPath, $"chunk {entry.File} starts at draw {entry.FirstDraw}, expected {expectedFirst}.");
                expectedFirst += entry.DrawCount;
                if (!File.Exists(chunkPath)) throw new RunFolderException(chunkPath, $"chunk {c} of chain {k} is missing.");
                headerLengths[c] = ChainReader.CheckChunkHeader(chunkPath, entry, manifest.Dimension, manifest.Dtype);
                if (verifyChecksums && Sha256.OfFile(chunkPath) != entry.Sha256)
                    throw new RunFolderException(chunkPath, $"chunk {c} of chain {k} is corrupt: its SHA-256 does not match chunks.json.");
            }
            var statsPath = RunLayout.StatsPath(folder, k);
            if (!File.Exists(statsPath)) throw new RunFolderException(statsPath, $"stats of chain {k} are missing.");
            var committed = index.CommittedStatsLength;
            if (new FileInfo(statsPath).Length < committed)
                throw new RunFolderException(statsPath, $"stats of chain {k} are truncated: {new FileInfo(statsPath).Length} bytes, committed chunks need {committed}.");
            chains[k] = new ChainReader(folder, k, index, headerLengths);
        }
        return new RunFolder(folder, manifest, chains);
    }

    /// <summary>Reads and checks <c>manifest.json</c>.</summary>
    public static RunManifest ReadManifest(string runFolder)
    {
        var path = RunLayout.ManifestPath(Path.GetFullPath(runFolder));
        if (!File.Exists(path)) throw new RunFolderException(path, "run manifest is missing (is this a run folder?).");
        RunManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<RunManifest>(File.ReadAllBytes(path), RunManifest.Json)
                       ?? throw new RunFolderException(path, "run manifest is empty.");
        }
        catch (JsonException e)
        {
            throw new RunFolderException(path, $"run manifest is not valid: {e.Message}", e);
        }
        if (manifest.FormatVersion > RunManifest.CurrentFormatVersion)
            throw new RunFolderException(path, $"run format version {manifest.FormatVersion} is newer than this tool supports ({RunManifest.CurrentFormatVersion}).");
        if (manifest.Chains < 1 || manifest.Dimension < 1 || manifest.Thin < 1 || manifest.ChunkSize < 1 || manifest.Draws < 0 || manifest.Warmup < 0)
            throw new RunFolderException(path, "run manifest has invalid settings (chains, dimension, thin and chunk size must be ≥ 1; draws and warm-up ≥ 0).");
        RunLayout.Precision(manifest.Dtype, path);
        return manifest;
    }

    /// <summary>Reads <c>initial.npy</c>, the un-jittered start position, checked against the manifest's hash.</summary>
    public static float[] ReadInitialPosition(string runFolder, RunManifest manifest)
    {
        var path = RunLayout.InitialPositionPath(Path.GetFullPath(runFolder));
        if (!File.Exists(path)) throw new RunFolderException(path, "initial position is missing.");
        if (manifest.InitialPositionSha256 is { } expected && Sha256.OfFile(path) != expected)
            throw new RunFolderException(path, "initial position is corrupt: its SHA-256 does not match the manifest.");
        var array = NpyFormat.Read(path);
        var values = array.ToFloats();
        if (values.Length != manifest.Dimension) throw new RunFolderException(path, $"initial position has {values.Length} values, manifest says D={manifest.Dimension}.");
        return values;
    }

    /// <summary>
    /// Creates a new run folder: writes manifest.json (once, never rewritten), initial.npy and empty chain folders.
    /// Refuses a folder that already holds a run (resume it instead) or other files.
    /// </summary>
    internal static RunManifest Create(string runFolder, RunManifest manifest, ReadOnlySpan<float> initialPosition)
    {
        var folder = Path.GetFullPath(runFolder);
        if (File.Exists(RunLayout.ManifestPath(folder)))
            throw new RunFolderException(folder, "already holds a run (manifest.json exists); resume it, or choose a new output folder.");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new RunFolderException(folder, "is not empty; choose a new or empty output folder.");
        Directory.CreateDirectory(folder);

        var initialPath = RunLayout.InitialPositionPath(folder);
        var initial = initialPosition.ToArray();
        AtomicFile.Write(initialPath, stream => NpyFormat.Write(stream, initial, initial.Length));
        manifest = manifest with { InitialPositionSha256 = Sha256.OfFile(initialPath) };

        var dtype = RunLayout.Precision(manifest.Dtype, RunLayout.ManifestPath(folder));
        for (var k = 0; k < manifest.Chains; k++) new ChainWriter(folder, k, manifest.Dimension, dtype).CreateEmpty();
        // The manifest goes last: a folder with a manifest is a complete, resumable run.
        AtomicFile.WriteAllBytes(RunLayout.ManifestPath(folder), JsonSerializer.SerializeToUtf8Bytes(manifest, RunManifest.Json));
        return manifest;
    }

    /// <summary>
    /// Creates the run folder, or joins the run another process already created there (one process per chain of a
    /// cluster array job sharing the folder). The first process to get there publishes <c>initial.npy</c> and
    /// <c>manifest.json</c> with an atomic create-if-absent rename (link(2) semantics: never overwrites); a process
    /// that finds them already there verifies that its settings agree with the manifest on disk and adopts it. No
    /// locks: every process writes only the chain folders of <paramref name="ownChains"/>, and only when missing.
    /// </summary>
    /// <param name="runFolder">The shared run folder.</param>
    /// <param name="manifest">This process's manifest (its settings and provenance).</param>
    /// <param name="initialPosition">The un-jittered start position.</param>
    /// <param name="ownChains">The chains this process will write.</param>
    /// <param name="created">True when this process created the run.</param>
    /// <returns>The manifest on disk (this process's own when <paramref name="created"/>).</returns>
    /// <exception cref="RunFolderException">The folder holds a run whose manifest disagrees (the message names the
    /// first field that differs), or other files but no run.</exception>
    internal static RunManifest CreateOrJoin(string runFolder, RunManifest manifest, ReadOnlySpan<float> initialPosition,
        IReadOnlyList<int> ownChains, out bool created)
    {
        var folder = Path.GetFullPath(runFolder);
        Directory.CreateDirectory(folder);
        var manifestPath = RunLayout.ManifestPath(folder);
        created = false;
        if (!File.Exists(manifestPath))
        {
            var initialPath = RunLayout.InitialPositionPath(folder);
            var initial = initialPosition.ToArray();
            var initialTemp = UniqueTemp(initialPath);
            using (var stream = new FileStream(initialTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                NpyFormat.Write(stream, initial, initial.Length);
                stream.Flush(flushToDisk: true);
            }
            var initialSha = Sha256.OfFile(initialTemp);
            // Another process may already have published initial.npy: same settings give the same bytes (checked below
            // through the manifest's InitialPositionSha256), so losing this race is harmless.
            PublishIfAbsent(initialTemp, initialPath);
            var mine = manifest with { InitialPositionSha256 = initialSha };
            var manifestTemp = UniqueTemp(manifestPath);
            using (var stream = new FileStream(manifestTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(JsonSerializer.SerializeToUtf8Bytes(mine, RunManifest.Json));
                stream.Flush(flushToDisk: true);
            }
            created = PublishIfAbsent(manifestTemp, manifestPath);
            if (created && Sha256.OfFile(initialPath) != initialSha)
            {
                // Cannot happen unless initial.npy was left by a different, manifest-less attempt: repair it before anyone reads it.
                AtomicFile.Write(initialPath, s => NpyFormat.Write(s, initial, initial.Length));
            }
            manifest = mine;
        }

        RunManifest onDisk;
        if (created) onDisk = manifest;
        else
        {
            onDisk = ReadManifest(folder);
            var mine = manifest with { InitialPositionSha256 = Sha256.OfBytes(NpyBytes(initialPosition)) };
            if (ManifestAgreement.FirstDifference(onDisk, mine) is { } difference)
                throw new RunFolderException(manifestPath,
                    $"this folder holds a run whose {difference.Field} differs: the run has {difference.OnDisk}, this task has {difference.Mine}. " +
                    "Every array task of a run must be started with the same model, data, likelihood, prior, parameters, sampler, " +
                    "options and run settings (or choose another --out folder).");
        }

        var dtype = RunLayout.Precision(onDisk.Dtype, manifestPath);
        foreach (var k in ownChains)
        {
            if (k < 0 || k >= onDisk.Chains) continue; // reported by the driver
            if (!File.Exists(RunLayout.ChunkIndexPath(folder, k))) new ChainWriter(folder, k, onDisk.Dimension, dtype).CreateEmpty();
        }
        return onDisk;
    }

    private static string UniqueTemp(string path) =>
        $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}{AtomicFile.TempSuffix}";

    /// <summary>Renames <paramref name="temp"/> to <paramref name="path"/> unless it exists (atomic; never overwrites).</summary>
    private static bool PublishIfAbsent(string temp, string path)
    {
        try
        {
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
    }

    private static byte[] NpyBytes(ReadOnlySpan<float> values)
    {
        var array = values.ToArray();
        using var memory = new MemoryStream();
        NpyFormat.Write(memory, array, array.Length);
        return memory.ToArray();
    }

    public void Dispose()
    {
        foreach (var chain in _chains) chain.Dispose();
    }
}
