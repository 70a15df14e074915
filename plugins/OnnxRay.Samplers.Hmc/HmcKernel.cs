using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc.Adaptation;
using OnnxRay.Samplers.Hmc.Integration;

namespace OnnxRay.Samplers.Hmc;

/// <summary>
/// Static-length HMC with a diagonal metric (samplers.md §2): one <see cref="Step"/> is one trajectory of n fused
/// leapfrog steps (n gradients) followed by a Metropolis test on −ΔH. During warm-up it adapts ε by dual averaging
/// and M⁻¹ by Stan's windowed variance estimate. For minibatch densities it can run SGHMC or naive stochastic HMC
/// instead (§4). All buffers are allocated in <see cref="Initialize"/>; steps allocate nothing.
/// </summary>
public sealed class HmcKernel(HmcOptions options) : ISamplerKernel
{
    private const string CheckpointTag = "onnxray-hmc-1";

    private readonly HmcOptions _options = options;
    private ILogDensity _density = null!;
    private ChainRandom _random = null!;
    private DiagonalMetric _metric = null!;
    private LeapfrogIntegrator _leapfrog = null!;
    private SghmcIntegrator? _sghmc;
    private DualAveragingStepSize _dualAveraging = null!;
    private WindowedVarianceAdaptation? _metricAdaptation;

    // Current state and the proposal buffers it is swapped with on acceptance.
    private float[] _position = [], _gradient = [], _momentum = [];
    private float[] _proposalPosition = [], _proposalGradient = [], _proposalMomentum = [];
    private float[] _scratch = [];
    private double[] _varianceScratch = [];
    private double _logDensity;

    private double _stepSize;          // nominal ε (before jitter)
    private bool _stepSizeReady;       // false until the initial search (or the user's value) has set ε
    private bool _inWarmup;
    private int _pendingGradients;     // gradients spent outside Step (step-size search), reported with the next step
    private bool _initialized;

    /// <summary>The mode in effect (<see cref="HmcMode.Auto"/> resolved against the density).</summary>
    public HmcMode Mode { get; private set; }

    public ReadOnlySpan<float> Position => _position;

    /// <summary>log p at <see cref="Position"/> (a minibatch estimate in the sghmc and naive modes).</summary>
    public double LogDensity => _logDensity;

    /// <summary>Current nominal step size ε.</summary>
    public double StepSize => _stepSize;

    /// <summary>The diagonal inverse metric M⁻¹ in use.</summary>
    public ReadOnlySpan<float> InverseMetric => _metric.InverseMass;

    /// <summary>Hamiltonian H = −log p + ½pᵀM⁻¹p of the state kept by the last step (Stan's energy__, for E-BFMI).</summary>
    public double Energy { get; private set; } = double.NaN;

    public void Initialize(ILogDensity density, ReadOnlySpan<float> start, ChainRandom random)
    {
        ArgumentNullException.ThrowIfNull(density);
        ArgumentNullException.ThrowIfNull(random);
        var d = density.Dimension;
        if (start.Length != d) throw new ArgumentException($"Start position has {start.Length} values; the density has dimension {d}.", nameof(start));
        _density = density;
        _random = random;
        Mode = _options.Mode == HmcMode.Auto ? (density.IsStochastic ? HmcMode.Sghmc : HmcMode.Hmc) : _options.Mode;
        if (Mode != HmcMode.Hmc && _options.StepSize == 0)
            throw new SamplerOptionsException("hmc", [$"'step-size' must be set (> 0) in mode '{Mode.ToString().ToLowerInvariant()}' (chosen because the density is a minibatch estimate): without an accept test there is nothing to tune it from."]);

        _position = start.ToArray();
        _gradient = new float[d];
        _momentum = new float[d];
        _proposalPosition = new float[d];
        _proposalGradient = new float[d];
        _proposalMomentum = new float[d];
        _scratch = new float[d];
        _varianceScratch = new double[d];
        _metric = new DiagonalMetric(d);
        _leapfrog = new LeapfrogIntegrator(d);
        _sghmc = Mode == HmcMode.Sghmc ? new SghmcIntegrator(d) : null;
        _dualAveraging = new DualAveragingStepSize(_options.TargetAccept);
        _metricAdaptation = null;

        // The accept test needs exact energies; the stochastic modes only ever see minibatch estimates.
        _logDensity = Mode == HmcMode.Hmc ? density.EvaluateExact(_position, _gradient) : density.Evaluate(_position, _gradient);
        if (!double.IsFinite(_logDensity) || !VectorMath.AllFinite(_gradient))
            throw new ArgumentException($"The log density or its gradient is not finite at the start position (log p = {_logDensity}).", nameof(start));
        _metric.SampleMomentum(_momentum, _random);
        _stepSize = _options.StepSize;
        _stepSizeReady = _options.StepSize > 0;
        _inWarmup = false;
        _pendingGradients = 1;
        _initialized = true;
    }

    public void BeginWarmup(int warmupSteps)
    {
        EnsureInitialized();
        _inWarmup = true;
        if (AdaptsStepSize)
        {
            // Stan searches from the user's ε (or 1) at the start of every warm-up.
            _stepSize = _stepSize > 0 ? _stepSize : 1.0;
            SearchStepSize();
            _dualAveraging.Restart(_stepSize);
        }
        _metricAdaptation = _options.AdaptMetric
            ? new WindowedVarianceAdaptation(
                new WindowedAdaptationSchedule(warmupSteps, _options.MetricInitBuffer, _options.MetricWindow, _options.MetricTermBuffer),
                _density.Dimension)
            : null;
    }

    public StepInfo Step()
    {
        EnsureInitialized();
        if (!_stepSizeReady)
        {
            _stepSize = 1.0;
            SearchStepSize();
        }
        var stepSize = _options.Jitter > 0 ? _stepSize * (1 + _options.Jitter * (2 * _random.NextDouble() - 1)) : _stepSize;
        var steps = StepsFor(stepSize);

        if (_options.MomentumPersistence > 0) _metric.RefreshMomentum(_momentum, _options.MomentumPersistence, _random, _scratch);
        else _metric.SampleMomentum(_momentum, _random);

        var info = Mode == HmcMode.Hmc ? MetropolisTrajectory(stepSize, steps) : StochasticTrajectory(stepSize, steps);
        _pendingGradients = 0;
        return info;
    }

    /// <summary>Exact HMC: leapfrog from (x, p), accept (x', p') with probability min(1, e^{−ΔH}).</summary>
    private StepInfo MetropolisTrajectory(double stepSize, int steps)
    {
        var initialEnergy = -_logDensity + _metric.KineticEnergy(_momentum);
        var divergence = new DivergenceDetector(_options.MaxEnergyError);
        var result = _leapfrog.Integrate(_density, _metric, _position, _momentum, _gradient,
            _proposalPosition, _proposalMomentum, _proposalGradient,
            stepSize, steps, exactLastEvaluation: true, initialEnergy, divergence);

        var energyError = double.PositiveInfinity;
        var proposalEnergy = double.PositiveInfinity;
        if (!result.Diverged)
        {
            proposalEnergy = -result.LogDensity + _metric.KineticEnergy(_proposalMomentum);
            energyError = proposalEnergy - initialEnergy;
        }
        else if (double.IsFinite(result.LogDensity))
        {
            energyError = -result.LogDensity - initialEnergy; // a lower bound: the trajectory stopped early
        }
        var divergent = result.Diverged || divergence.IsDivergent(initialEnergy, proposalEnergy);
        var acceptProbability = divergent ? 0.0 : Math.Min(1.0, Math.Exp(-energyError));
        var accepted = !divergent && Math.Log(_random.NextOpenDouble()) < -energyError;

        if (accepted)
        {
            AcceptProposal(result.LogDensity);
            Energy = proposalEnergy;
        }
        else
        {
            // Reversal on rejection keeps partial refresh exact (Horowitz); with a full redraw it is harmless.
            if (_options.MomentumPersistence > 0) System.Numerics.Tensors.TensorPrimitives.Negate(_momentum, _momentum);
            Energy = initialEnergy;
        }
        return new StepInfo
        {
            Accepted = accepted,
            AcceptanceProbability = acceptProbability,
            LogDensity = _logDensity,
            StepSize = stepSize,
            EnergyError = energyError,
            IntegrationSteps = result.Steps,
            GradientEvaluations = result.Steps + _pendingGradients,
            Divergent = divergent,
            Energy = Energy,
        };
    }

    /// <summary>SGHMC or naive stochastic HMC: no accept test; only a non-finite density rejects (and restores) the trajectory.</summary>
    private StepInfo StochasticTrajectory(double stepSize, int steps)
    {
        var initialEnergy = -_logDensity + _metric.KineticEnergy(_momentum);
        TrajectoryResult result;
        if (Mode == HmcMode.Sghmc)
        {
            CopyStateToProposal();
            result = _sghmc!.Integrate(_density, _metric, _random, _proposalPosition, _proposalMomentum, _proposalGradient, stepSize, steps, _options.Friction);
        }
        else
        {
            result = _leapfrog.Integrate(_density, _metric, _position, _momentum, _gradient, _proposalPosition, _proposalMomentum, _proposalGradient,
                stepSize, steps, exactLastEvaluation: false, initialEnergy, divergence: null);
        }

        var energyError = double.PositiveInfinity;
        if (!result.Diverged)
        {
            AcceptProposal(result.LogDensity);
            var kinetic = _metric.KineticEnergy(_momentum);
            Energy = -_logDensity + kinetic;
            energyError = Energy - initialEnergy;
            // The paper's naive baseline: heating is stopped by a momentum reset once 2K > threshold·D.
            if (Mode == HmcMode.Naive && 2 * kinetic > _options.MomentumResetThreshold * _density.Dimension)
                _metric.SampleMomentum(_momentum, _random);
        }
        else
        {
            Energy = initialEnergy;
        }
        return new StepInfo
        {
            Accepted = !result.Diverged,
            AcceptanceProbability = result.Diverged ? 0.0 : 1.0,
            LogDensity = _logDensity,
            StepSize = stepSize,
            EnergyError = energyError,
            IntegrationSteps = result.Steps,
            GradientEvaluations = result.Steps + _pendingGradients,
            Divergent = result.Diverged,
        };
    }

    public void Adapt(in StepInfo info)
    {
        EnsureInitialized();
        if (!_inWarmup) return;
        if (AdaptsStepSize) _stepSize = _dualAveraging.Learn(info.AcceptanceProbability);
        if (_metricAdaptation is not null && _metricAdaptation.Observe(_position, _varianceScratch))
        {
            _metric.SetInverseMass(_varianceScratch);
            if (AdaptsStepSize)
            {
                // Stan: a new metric changes the scale, so search ε again and restart dual averaging around it.
                SearchStepSize();
                _dualAveraging.Restart(_stepSize);
            }
        }
    }

    public void EndWarmup()
    {
        EnsureInitialized();
        if (_inWarmup && AdaptsStepSize && _dualAveraging.Counter > 0) _stepSize = _dualAveraging.AverageStepSize;
        _inWarmup = false;
        _metricAdaptation = null;
    }

    private bool AdaptsStepSize => Mode == HmcMode.Hmc && _options.AdaptStepSize;

    private int StepsFor(double stepSize)
    {
        var steps = _options.PathLength > 0
            ? (int)Math.Min(_options.MaxSteps, Math.Max(1, Math.Ceiling(_options.PathLength / stepSize)))
            : _options.Steps;
        if (_options.RandomSteps && steps > 1) steps = 1 + (int)_random.NextInt64(2 * steps - 1);
        return Math.Min(steps, _options.MaxSteps);
    }

    private void SearchStepSize()
    {
        var workspace = new InitialStepSizeSearch.Workspace
        {
            Density = _density,
            Metric = _metric,
            Integrator = _leapfrog,
            Random = _random,
            Position = _position,
            Gradient = _gradient,
            LogDensity = _logDensity,
            TrialPosition = _proposalPosition,
            TrialMomentum = _proposalMomentum,
            TrialGradient = _proposalGradient,
            VelocityScratch = _scratch,
        };
        var (stepSize, gradients) = InitialStepSizeSearch.Search(_stepSize, ref workspace);
        _stepSize = stepSize;
        _stepSizeReady = true;
        _pendingGradients += gradients;
    }

    private void CopyStateToProposal()
    {
        _position.CopyTo(_proposalPosition, 0);
        _gradient.CopyTo(_proposalGradient, 0);
        _momentum.CopyTo(_proposalMomentum, 0);
    }

    private void AcceptProposal(double logDensity)
    {
        (_position, _proposalPosition) = (_proposalPosition, _position);
        (_gradient, _proposalGradient) = (_proposalGradient, _gradient);
        (_momentum, _proposalMomentum) = (_proposalMomentum, _momentum);
        _logDensity = logDensity;
    }

    private void EnsureInitialized()
    {
        if (!_initialized) throw new InvalidOperationException("HmcKernel.Initialize must be called first.");
    }

    public void SaveState(BinaryWriter writer)
    {
        EnsureInitialized();
        writer.Write(CheckpointTag);
        writer.Write(_position.Length);
        writer.Write((int)Mode);
        CheckpointIO.WriteFloats(writer, _position);
        CheckpointIO.WriteFloats(writer, _gradient);
        CheckpointIO.WriteFloats(writer, _momentum);
        writer.Write(_logDensity);
        writer.Write(_stepSize);
        writer.Write(_stepSizeReady);
        writer.Write(_inWarmup);
        writer.Write(_pendingGradients);
        writer.Write(Energy);
        _metric.Save(writer);
        _dualAveraging.Save(writer);
        writer.Write(_metricAdaptation is not null);
        if (_metricAdaptation is not null)
        {
            writer.Write(_metricAdaptation.Schedule.WarmupSteps);
            _metricAdaptation.Save(writer);
        }
        _random.SaveState(writer);
    }

    public void RestoreState(BinaryReader reader)
    {
        EnsureInitialized();
        CheckpointIO.ExpectTag(reader, CheckpointTag);
        var dimension = reader.ReadInt32();
        if (dimension != _position.Length)
            throw new InvalidDataException($"Checkpoint is for dimension {dimension}; the kernel was initialised with {_position.Length}.");
        var mode = (HmcMode)reader.ReadInt32();
        if (mode != Mode) throw new InvalidDataException($"Checkpoint was written in mode '{mode}', the kernel runs in mode '{Mode}'.");
        CheckpointIO.ReadFloats(reader, _position, "the position");
        CheckpointIO.ReadFloats(reader, _gradient, "the gradient");
        CheckpointIO.ReadFloats(reader, _momentum, "the momentum");
        _logDensity = reader.ReadDouble();
        _stepSize = reader.ReadDouble();
        _stepSizeReady = reader.ReadBoolean();
        _inWarmup = reader.ReadBoolean();
        _pendingGradients = reader.ReadInt32();
        Energy = reader.ReadDouble();
        _metric.Restore(reader);
        _dualAveraging.Restore(reader);
        _metricAdaptation = null;
        if (reader.ReadBoolean())
        {
            var warmupSteps = reader.ReadInt32();
            _metricAdaptation = new WindowedVarianceAdaptation(
                new WindowedAdaptationSchedule(warmupSteps, _options.MetricInitBuffer, _options.MetricWindow, _options.MetricTermBuffer),
                _position.Length);
            _metricAdaptation.Restore(reader);
        }
        _random.RestoreState(reader);
    }

    public void Dispose()
    {
        // Nothing unmanaged; the density belongs to the caller.
    }
}
