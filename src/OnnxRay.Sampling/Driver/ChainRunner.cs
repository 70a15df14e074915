using System.Diagnostics;
using System.Text;
using OnnxRay.Abstractions;
using OnnxRay.Sampling.Storage;

namespace OnnxRay.Sampling.Driver;

/// <summary>
/// Runs one chain from its start (or its last checkpoint) to its end or to cancellation. Owns the chain's density,
/// kernel, random stream, draw buffer and chain folder. The schedule: Initialize, BeginWarmup(W), (Step, Adapt) × W,
/// EndWarmup, then Step × (N·Thin), storing every Thin-th position. Checkpoints are taken at step boundaries only:
/// after each chunk commit, at the end of warm-up, every CheckpointEvery transitions, and on cancellation.
/// </summary>
internal sealed class ChainRunner
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly int _chain;
    private readonly RunManifest _manifest;
    private readonly string _runFolder;
    private readonly ISamplerFactory _sampler;
    private readonly SamplerOptions _options;
    private readonly Func<int, ILogDensity> _densityFactory;
    private readonly IProgress<ChainProgress>? _progress;

    // Chain state (everything that goes into a checkpoint).
    private ChainPhase _phase;
    private int _warmupDone;
    private long _samplingTransitions;
    private double _phaseAcceptanceSum;
    private long _phaseDivergences;
    private float[] _pending = [];
    private readonly List<DrawStats> _pendingStats = [];

    // Progress bookkeeping (not part of the chain state).
    private readonly Stopwatch _clock = new();
    private long _stepsThisProcess;
    private TimeSpan? _lastReport;
    private StepInfo _lastStep;

    public ChainRunner(int chain, RunManifest manifest, string runFolder, ISamplerFactory sampler, SamplerOptions options,
        Func<int, ILogDensity> densityFactory, IProgress<ChainProgress>? progress)
    {
        _chain = chain;
        _manifest = manifest;
        _runFolder = runFolder;
        _sampler = sampler;
        _options = options;
        _densityFactory = densityFactory;
        _progress = progress;
    }

    /// <summary>Draws committed when the runner returned.</summary>
    public long CommittedDraws { get; private set; }

    public ChainOutcome Run(float[] initialPosition, CancellationToken cancellationToken)
    {
        var d = _manifest.Dimension;
        var checkpointPath = RunLayout.CheckpointPath(_runFolder, _chain);
        ChainCheckpoint? checkpoint = File.Exists(checkpointPath) ? ChainCheckpoint.Read(checkpointPath) : null;
        if (checkpoint is not null)
        {
            if (checkpoint.Chain != _chain || checkpoint.Position.Length != d)
                throw new RunFolderException(checkpointPath, $"checkpoint belongs to chain {checkpoint.Chain} with D={checkpoint.Position.Length}, expected chain {_chain} with D={d}.");
            if (checkpoint.Phase == ChainPhase.Done)
            {
                CommittedDraws = checkpoint.CommittedDraws;
                _warmupDone = checkpoint.WarmupDone;
                _samplingTransitions = checkpoint.SamplingTransitions;
                Report(force: true, ChainPhase.Done);
                return ChainOutcome.AlreadyCompleted;
            }
        }

        var writer = new ChainWriter(_runFolder, _chain, d, RunLayout.Precision(_manifest.Dtype, RunLayout.ManifestPath(_runFolder)));
        var density = _densityFactory(_chain);
        try
        {
            if (density.Dimension != d)
                throw new RunSettingsException("density", $"chain {_chain}'s density has dimension {density.Dimension}, the run has D={d}.");
            using var kernel = _sampler.CreateKernel(_options);
            var random = ChainRandom.ForChain(_manifest.Seed, _chain);
            _pending = new float[checked(_manifest.ChunkSize * d)];

            if (checkpoint is null) StartFresh(kernel, density, random, writer, initialPosition);
            else Restore(kernel, density, random, writer, checkpoint);

            _clock.Start();
            return Continue(kernel, density, random, writer, cancellationToken);
        }
        finally
        {
            CommittedDraws = writer.CommittedDraws;
            (density as IDisposable)?.Dispose();
        }
    }

    private void StartFresh(ISamplerKernel kernel, ILogDensity density, ChainRandom random, ChainWriter writer, float[] initialPosition)
    {
        writer.RestoreCommitted(0); // a crash before the first checkpoint may have left a chunk: start clean
        var start = (float[])initialPosition.Clone();
        if (_manifest.InitialJitter > 0)
        {
            // A forked stream, so the jitter never shifts the kernel's own stream.
            var jitter = random.Fork();
            for (var i = 0; i < start.Length; i++) start[i] += (float)(_manifest.InitialJitter * jitter.NextGaussian());
        }
        kernel.Initialize(density, start, random);
        kernel.BeginWarmup(_manifest.Warmup);
        _phase = ChainPhase.Warmup;
    }

    private void Restore(ISamplerKernel kernel, ILogDensity density, ChainRandom random, ChainWriter writer, ChainCheckpoint checkpoint)
    {
        writer.RestoreCommitted(checkpoint.CommittedChunks);
        if (writer.CommittedDraws != checkpoint.CommittedDraws)
            throw new RunFolderException(RunLayout.ChunkIndexPath(_runFolder, _chain),
                $"committed chunks hold {writer.CommittedDraws} draws but the checkpoint recorded {checkpoint.CommittedDraws}.");
        kernel.Initialize(density, checkpoint.Position, random);
        // Initialize may have consumed random numbers or minibatches: the saved states override it.
        random.RestoreState(checkpoint.RandomState);
        using (var reader = new BinaryReader(new MemoryStream(checkpoint.KernelState)))
            kernel.RestoreState(reader);
        if (density is ICheckpointableDensity checkpointable)
        {
            if (checkpoint.DensityState is null)
                throw new RunFolderException(RunLayout.CheckpointPath(_runFolder, _chain), "checkpoint holds no density state but the density needs one.");
            using var reader = new BinaryReader(new MemoryStream(checkpoint.DensityState));
            checkpointable.RestoreState(reader);
        }
        _phase = checkpoint.Phase;
        _warmupDone = checkpoint.WarmupDone;
        _samplingTransitions = checkpoint.SamplingTransitions;
        _phaseAcceptanceSum = checkpoint.PhaseAcceptanceSum;
        _phaseDivergences = checkpoint.PhaseDivergences;
        checkpoint.PendingDraws.CopyTo(_pending, 0);
        _pendingStats.AddRange(checkpoint.PendingStats);
    }

    private ChainOutcome Continue(ISamplerKernel kernel, ILogDensity density, ChainRandom random, ChainWriter writer, CancellationToken cancellationToken)
    {
        var d = _manifest.Dimension;
        var lastCheckpoint = TotalTransitions;
        while (_phase == ChainPhase.Warmup && _warmupDone < _manifest.Warmup)
        {
            if (cancellationToken.IsCancellationRequested) return Interrupt(kernel, density, random, writer);
            var info = kernel.Step();
            kernel.Adapt(info);
            _warmupDone++;
            Account(info);
            if (IsIntervalCheckpointDue(ref lastCheckpoint)) WriteCheckpoint(kernel, density, random, writer);
            Report(force: false, _phase);
        }
        if (_phase == ChainPhase.Warmup)
        {
            kernel.EndWarmup();
            _phase = ChainPhase.Sampling;
            _phaseAcceptanceSum = 0;
            _phaseDivergences = 0;
            WriteCheckpoint(kernel, density, random, writer);
            lastCheckpoint = TotalTransitions;
            Report(force: true, _phase);
        }

        var drawsStored = writer.CommittedDraws + _pendingStats.Count;
        while (drawsStored < _manifest.Draws)
        {
            if (cancellationToken.IsCancellationRequested) return Interrupt(kernel, density, random, writer);
            var info = kernel.Step();
            _samplingTransitions++;
            Account(info);
            if (_samplingTransitions % _manifest.Thin == 0)
            {
                kernel.Position.CopyTo(_pending.AsSpan(_pendingStats.Count * d, d));
                _pendingStats.Add(new DrawStats(drawsStored, info));
                drawsStored++;
                var finished = drawsStored == _manifest.Draws;
                if (_pendingStats.Count == _manifest.ChunkSize || finished)
                {
                    writer.CommitChunk(_pending.AsSpan(0, _pendingStats.Count * d), _pendingStats, completesChain: finished);
                    _pendingStats.Clear();
                    if (finished) _phase = ChainPhase.Done;
                    WriteCheckpoint(kernel, density, random, writer);
                    lastCheckpoint = TotalTransitions;
                    Report(force: true, _phase);
                    continue;
                }
            }
            if (IsIntervalCheckpointDue(ref lastCheckpoint)) WriteCheckpoint(kernel, density, random, writer);
            Report(force: false, _phase);
        }

        if (_phase != ChainPhase.Done)
        {
            // Zero draws requested: nothing to chunk, but the chain is complete.
            writer.MarkCompleted();
            _phase = ChainPhase.Done;
            WriteCheckpoint(kernel, density, random, writer);
        }
        Report(force: true, ChainPhase.Done);
        return ChainOutcome.Completed;
    }

    private long TotalTransitions => _warmupDone + _samplingTransitions;

    private bool IsIntervalCheckpointDue(ref long lastCheckpoint)
    {
        if (_manifest.CheckpointEvery <= 0 || TotalTransitions - lastCheckpoint < _manifest.CheckpointEvery) return false;
        lastCheckpoint = TotalTransitions;
        return true;
    }

    private ChainOutcome Interrupt(ISamplerKernel kernel, ILogDensity density, ChainRandom random, ChainWriter writer)
    {
        WriteCheckpoint(kernel, density, random, writer);
        Report(force: true, _phase);
        return ChainOutcome.Interrupted;
    }

    private void Account(in StepInfo info)
    {
        _lastStep = info;
        _stepsThisProcess++;
        _phaseAcceptanceSum += info.AcceptanceProbability;
        if (info.Divergent) _phaseDivergences++;
    }

    private void WriteCheckpoint(ISamplerKernel kernel, ILogDensity density, ChainRandom random, ChainWriter writer)
    {
        var randomState = new byte[ChainRandom.StateSize];
        random.SaveState(randomState);
        var checkpoint = new ChainCheckpoint
        {
            Chain = _chain,
            Sampler = _sampler.Name,
            Phase = _phase,
            WarmupDone = _warmupDone,
            SamplingTransitions = _samplingTransitions,
            CommittedChunks = writer.CommittedChunks,
            CommittedDraws = writer.CommittedDraws,
            PhaseAcceptanceSum = _phaseAcceptanceSum,
            PhaseDivergences = _phaseDivergences,
            Position = kernel.Position.ToArray(),
            RandomState = randomState,
            PendingDraws = _pending.AsSpan(0, _pendingStats.Count * _manifest.Dimension).ToArray(),
            PendingStats = _pendingStats.ToArray(),
            KernelState = Capture(kernel.SaveState),
            DensityState = density is ICheckpointableDensity checkpointable ? Capture(checkpointable.SaveState) : null,
        };
        writer.WriteCheckpoint(checkpoint.Serialize());
    }

    private static byte[] Capture(Action<BinaryWriter> save)
    {
        using var memory = new MemoryStream();
        using (var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true)) save(w);
        return memory.ToArray();
    }

    private void Report(bool force, ChainPhase phase)
    {
        if (_progress is null) return;
        var now = _clock.Elapsed;
        if (!force && _lastReport is { } last && now - last < ProgressInterval) return;
        _lastReport = now;
        var warmup = phase == ChainPhase.Warmup;
        var stepsDone = warmup ? _warmupDone : _samplingTransitions;
        var stepsTotal = warmup ? _manifest.Warmup : (long)_manifest.Draws * _manifest.Thin;
        var rate = now.TotalSeconds > 0 ? _stepsThisProcess / now.TotalSeconds : 0;
        var remaining = (long)_manifest.Warmup - _warmupDone + (long)_manifest.Draws * _manifest.Thin - _samplingTransitions;
        TimeSpan? eta = rate > 0 ? TimeSpan.FromSeconds(remaining / rate) : null;
        var drawsDone = _samplingTransitions / _manifest.Thin;
        _progress.Report(new ChainProgress(_chain, phase, stepsDone, stepsTotal, drawsDone, _manifest.Draws, rate,
            stepsDone > 0 ? _phaseAcceptanceSum / stepsDone : double.NaN, _lastStep.StepSize, _lastStep.LogDensity, _phaseDivergences,
            phase == ChainPhase.Done ? TimeSpan.Zero : eta));
    }
}
