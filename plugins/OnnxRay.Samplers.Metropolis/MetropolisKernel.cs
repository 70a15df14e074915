using System.Numerics.Tensors;
using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.Metropolis;

/// <summary>
/// Random-walk Metropolis (samplers.md §3): propose x' = x + σ·s⊙ξ and accept on log p(x') − log p(x), using exact
/// values only (<see cref="ILogDensity.EvaluateValue"/>; no gradient, and exact also for minibatch densities, since a
/// noisy value would bias the test). During warm-up σ follows Robbins–Monro towards 0.234 (0.44 for d = 1) and,
/// optionally, the diagonal shape s follows the draws' variances. With <c>proposals</c> = K &gt; 1 each step is a
/// multiple-try transition (<see cref="MultipleTryTransition"/>) whose K proposals are evaluated in one batch; the
/// adaptation then follows its acceptance probability. All buffers are allocated in <see cref="Initialize"/>.
/// </summary>
public sealed class MetropolisKernel(MetropolisOptions options) : ISamplerKernel
{
    private const string CheckpointTag = "onnxray-metropolis-1";

    private readonly MetropolisOptions _options = options;
    private ILogDensity _density = null!;
    private ChainRandom _random = null!;
    private float[] _position = [], _proposal = [], _noise = [], _shape = [];
    private double _logDensity;
    private double _logScale;
    private double _initialLogScale;
    private bool _inWarmup;
    private RobbinsMonroScaleAdaptation _scaleAdaptation = null!;
    private AdaptiveProposalShape? _shapeAdaptation;
    private MultipleTryTransition? _multipleTry;
    private bool _initialized;

    public ReadOnlySpan<float> Position => _position;
    public double LogDensity => _logDensity;

    /// <summary>Current proposal scale σ.</summary>
    public double Scale => Math.Exp(_logScale);

    /// <summary>Current diagonal proposal shape s.</summary>
    public ReadOnlySpan<float> Shape => _shape;

    /// <summary>Acceptance rate the scale adaptation aims for.</summary>
    public double TargetAccept => _scaleAdaptation.TargetAccept;

    public void Initialize(ILogDensity density, ReadOnlySpan<float> start, ChainRandom random)
    {
        ArgumentNullException.ThrowIfNull(density);
        ArgumentNullException.ThrowIfNull(random);
        var d = density.Dimension;
        if (start.Length != d) throw new ArgumentException($"Start position has {start.Length} values; the density has dimension {d}.", nameof(start));
        _density = density;
        _random = random;
        _position = start.ToArray();
        _proposal = new float[d];
        _noise = new float[d];
        _shape = new float[d];
        _shape.AsSpan().Fill(1f);
        _logDensity = density.EvaluateValue(_position);
        if (!double.IsFinite(_logDensity))
            throw new ArgumentException($"The log density is not finite at the start position (log p = {_logDensity}).", nameof(start));
        _initialLogScale = Math.Log(_options.Scale > 0 ? _options.Scale : 2.38 / Math.Sqrt(d));
        _logScale = _initialLogScale;
        var target = _options.TargetAccept > 0 ? _options.TargetAccept : d == 1 ? 0.44 : 0.234;
        _scaleAdaptation = new RobbinsMonroScaleAdaptation(target, _options.AdaptationDecay);
        _shapeAdaptation = null;
        _multipleTry = _options.Proposals > 1 ? new MultipleTryTransition(density, _options.Proposals) : null;
        _inWarmup = false;
        _initialized = true;
    }

    public StepInfo Step()
    {
        EnsureInitialized();
        var scale = Math.Exp(_logScale);
        var outcome = _multipleTry is null ? SingleProposal(scale) : _multipleTry.Step(_position, ref _logDensity, scale, _shape, _random);
        return new StepInfo
        {
            Accepted = outcome.Accepted,
            AcceptanceProbability = Math.Min(1.0, Math.Exp(outcome.LogAcceptRatio)),
            LogDensity = _logDensity,
            StepSize = scale,
            EnergyError = outcome.LogAcceptRatio,
            IntegrationSteps = 1,
            GradientEvaluations = 0,
            DensityEvaluations = outcome.Evaluations,
            Divergent = false,
        };
    }

    /// <summary>Plain random-walk Metropolis: one proposal, one evaluation.</summary>
    private MultipleTryTransition.Outcome SingleProposal(double scale)
    {
        _random.FillGaussian(_noise);
        TensorPrimitives.Multiply(_noise, _shape, _noise);
        TensorPrimitives.MultiplyAdd(_noise, (float)scale, _position, _proposal);
        var proposalLogDensity = _density.EvaluateValue(_proposal);
        var logAcceptRatio = double.IsFinite(proposalLogDensity) ? proposalLogDensity - _logDensity : double.NegativeInfinity;
        var accepted = Math.Log(_random.NextOpenDouble()) < logAcceptRatio;
        if (accepted)
        {
            (_position, _proposal) = (_proposal, _position);
            _logDensity = proposalLogDensity;
        }
        return new MultipleTryTransition.Outcome(accepted, logAcceptRatio, 1);
    }

    public void BeginWarmup(int warmupSteps)
    {
        EnsureInitialized();
        _inWarmup = true;
        _scaleAdaptation.Restart();
        _shapeAdaptation = _options.AdaptCovariance ? new AdaptiveProposalShape(_position.Length, warmupSteps, _options.CovarianceRegularization) : null;
    }

    public void Adapt(in StepInfo info)
    {
        EnsureInitialized();
        if (!_inWarmup) return;
        if (_options.AdaptScale) _logScale = _scaleAdaptation.Update(_logScale, info.AcceptanceProbability);
        if (_shapeAdaptation is not null)
        {
            var first = !_shapeAdaptation.HasUpdated;
            // Haario: once the shape matches the covariance, σ = 2.38/√d is the right scale again.
            if (_shapeAdaptation.Observe(_position, _shape) && first) _logScale = _initialLogScale;
        }
    }

    public void EndWarmup()
    {
        EnsureInitialized();
        _inWarmup = false;
        _shapeAdaptation = null;
    }

    private void EnsureInitialized()
    {
        if (!_initialized) throw new InvalidOperationException("MetropolisKernel.Initialize must be called first.");
    }

    public void SaveState(BinaryWriter writer)
    {
        EnsureInitialized();
        writer.Write(CheckpointTag);
        writer.Write(_position.Length);
        foreach (var x in _position) writer.Write(x);
        foreach (var s in _shape) writer.Write(s);
        writer.Write(_logDensity);
        writer.Write(_logScale);
        writer.Write(_inWarmup);
        _scaleAdaptation.Save(writer);
        writer.Write(_shapeAdaptation is not null);
        if (_shapeAdaptation is not null)
        {
            writer.Write(_shapeAdaptation.WarmupSteps);
            _shapeAdaptation.Save(writer);
        }
        _random.SaveState(writer);
    }

    public void RestoreState(BinaryReader reader)
    {
        EnsureInitialized();
        var tag = reader.ReadString();
        if (tag != CheckpointTag) throw new InvalidDataException($"Not a Metropolis kernel checkpoint (found '{tag}').");
        var dimension = reader.ReadInt32();
        if (dimension != _position.Length)
            throw new InvalidDataException($"Checkpoint is for dimension {dimension}; the kernel was initialised with {_position.Length}.");
        for (var i = 0; i < _position.Length; i++) _position[i] = reader.ReadSingle();
        for (var i = 0; i < _shape.Length; i++) _shape[i] = reader.ReadSingle();
        _logDensity = reader.ReadDouble();
        _logScale = reader.ReadDouble();
        _inWarmup = reader.ReadBoolean();
        _scaleAdaptation.Restore(reader);
        _shapeAdaptation = null;
        if (reader.ReadBoolean())
        {
            var warmupSteps = reader.ReadInt32();
            _shapeAdaptation = new AdaptiveProposalShape(_position.Length, warmupSteps, _options.CovarianceRegularization);
            _shapeAdaptation.Restore(reader);
        }
        _random.RestoreState(reader);
    }

    public void Dispose()
    {
    }
}
