using OnnxRay.Abstractions;

namespace OnnxRay.Samplers.RayTracing;

/// <summary>
/// The ray tracing sampler (Behroozi 2025; samplers.md §1). One <see cref="Step"/> is one trajectory: store the start,
/// refresh the velocity (full redraw, or OU scattering dt/2 before, dt between and dt/2 after the steps), integrate,
/// then accept or reject with the (optional) Metropolis test on ΔlnL − ΣΔlnLum, reversing v on rejection when it
/// persists. Each parameter group may carry its own ray. Warm-up tunes dt and the trajectory length.
/// </summary>
public sealed class RayTracingKernel : ISamplerKernel
{
    private const int StateVersion = 1;
    private const double InitialTrajectoryTime = 1.0;
    private const int StochasticDefaultSteps = 10;

    private readonly RayTracingOptions _options;
    private ILogDensity _density = null!;
    private ChainRandom _random = null!;
    private PhaseSpace _space = null!;
    private WarmupTuner _tuner = null!;

    private IntegratorKind _integrator;
    private double _refreshRate;
    private bool _metropolis, _exactTest, _tuneStepSize, _tuneLength, _initialSearchPending;
    private double _stepSize, _trajectoryTime;
    private double _exactLogDensity = double.NaN; // exact log p at x for the test on a minibatch density
    private bool _logDensityKnown; // whether _space.LogDensity belongs to x even when the gradient is not cached
    private int _pendingGradients, _pendingValues;
    private long _trajectories;

    public RayTracingKernel(RayTracingOptions options)
    {
        options.ThrowIfInvalid("raytracing");
        _options = options;
    }

    /// <summary>The integrator in use (Auto resolved against the density).</summary>
    public IntegratorKind Integrator => _integrator;

    /// <summary>Current effective time step Δt.</summary>
    public double StepSize => _stepSize;

    /// <summary>Current mean number of integration steps per trajectory.</summary>
    public int MeanStepsPerTrajectory => _options.StepsPerTrajectory ?? StepsFromTime(_trajectoryTime, _stepSize);

    /// <summary>Trajectory time T (in units of dt) that the automatic step count aims for.</summary>
    public double TrajectoryTime => _trajectoryTime;

    /// <summary>Whether the Metropolis test is applied.</summary>
    public bool MetropolisTest => _metropolis;

    /// <summary>The rays: one per parameter group, or one for all of θ.</summary>
    public IReadOnlyList<ParameterGroup> Rays => _space.Rays;

    public ReadOnlySpan<float> Position => _space.Position;

    public double LogDensity => _exactTest ? _exactLogDensity : _space.LogDensity;

    public void Initialize(ILogDensity density, ReadOnlySpan<float> start, ChainRandom random)
    {
        ArgumentNullException.ThrowIfNull(density);
        ArgumentNullException.ThrowIfNull(random);
        if (start.Length != density.Dimension)
            throw new ArgumentException($"The start point has {start.Length} values, the density has dimension {density.Dimension}.", nameof(start));
        _density = density;
        _random = random;
        var stochastic = density.IsStochastic;
        _integrator = _options.Integrator != IntegratorKind.Auto ? _options.Integrator
            : stochastic ? IntegratorKind.RandomKdkDkd : IntegratorKind.Omelyan;
        _refreshRate = _options.RefreshRate ?? (stochastic ? 1.0 : 0.0);
        _metropolis = (_options.Metropolis ?? !stochastic) && _options.LossTolerance != -1;
        // A minibatch density is tested on exact full-data log p, unless the user asked for Eq. 33 on minibatch values.
        _exactTest = _metropolis && stochastic && _options.NoiseVariance == 0;
        // Energy errors of minibatch log p are noise, so automatic tuning needs exact log p or the exact test.
        var canMeasureEnergy = !stochastic || _exactTest;
        _tuneStepSize = _options.StepSize is null && canMeasureEnergy;
        _tuneLength = _options.StepsPerTrajectory is null && canMeasureEnergy;
        _stepSize = _options.StepSize ?? 0.001 * Math.Sqrt(1000.0 / density.Dimension);
        _trajectoryTime = _tuneLength ? InitialTrajectoryTime : StochasticDefaultSteps * _stepSize;

        var rays = _options.PerGroupRays ? density.Groups : ParameterGroup.Whole(density.Dimension);
        CheckRaysCoverTheta(rays, density.Dimension);
        _space = new PhaseSpace(density, start, rays);
        _tuner = new WarmupTuner(_options, _tuneStepSize, _tuneLength, _metropolis, density.Dimension);
        _space.Redraw(random);
        _space.EnsureGradient();
        if (!double.IsFinite(_space.LogDensity))
            throw new ArgumentException($"log p is not finite at the start point ({_space.LogDensity}); choose another start.", nameof(start));
        _logDensityKnown = true;
        if (_exactTest) _exactLogDensity = EvaluateExactValue();
    }

    public void BeginWarmup(int warmupSteps)
    {
        _tuner.Begin(warmupSteps, _stepSize, _trajectoryTime);
        _initialSearchPending = _tuner.Active && _tuneStepSize && !_density.IsStochastic;
    }

    public void Adapt(in StepInfo info)
    {
        if (!_tuner.Active) return;
        _tuner.Adapt(info, _space.Position);
        _stepSize = _tuner.StepSize;
        _trajectoryTime = _tuner.TrajectoryTime;
    }

    public void EndWarmup()
    {
        _tuner.End();
        if (_tuneStepSize) _stepSize = _tuner.StepSize;
        if (_tuneLength) _trajectoryTime = _tuner.TrajectoryTime;
        _initialSearchPending = false;
    }

    public StepInfo Step()
    {
        if (_initialSearchPending)
        {
            _initialSearchPending = false;
            _stepSize = InitialStepSizeSearch.Run(_space, _integrator, _stepSize, _random,
                _metropolis ? Math.Log(0.8) : -Math.Sqrt(_density.Dimension * _options.TargetEnergyVariance));
            _tuner.ResetStepSize(_stepSize);
        }

        var dt = _stepSize;
        var steps = TrajectorySteps();
        var startLogDensity = StartLogDensity();
        _space.SaveStart();
        var savedExact = _exactLogDensity;
        _space.LogLuminosity = 0;

        if (_refreshRate > 0) _space.Scatter(_refreshRate, dt / 2, _random);
        else _space.Redraw(_random);
        for (var i = 0; i < steps; i++)
        {
            // The scatter separates the two half-kicks, so they cannot be summed; it shares a pass with the first.
            if (i > 0 && _refreshRate > 0) _space.Scatter(_refreshRate, dt, _random);
            Integrators.Step(_space, _integrator, dt, _random);
        }
        _space.Scatter(_refreshRate, dt / 2, _random); // with rate 0 only flushes the last kick

        var endLogDensity = EndLogDensity();
        var energyError = endLogDensity - startLogDensity - _space.LogLuminosity;
        // Minibatch log p differences are dominated by batch noise (∝ σ_sto·√D), so only a non-finite value counts
        // as divergent there; the energy threshold applies where ΔE is measured on exact log p.
        var energyIsExact = !_density.IsStochastic || _exactTest;
        var divergent = !double.IsFinite(endLogDensity) || !double.IsFinite(energyError)
                        || (energyIsExact && Math.Abs(energyError) > _options.MaxEnergyError);
        double acceptance;
        bool accepted;
        if (_metropolis)
        {
            var logAlpha = TrajectoryAcceptance.LogAcceptance(endLogDensity - startLogDensity, _space.LogLuminosity,
                _exactTest ? 0 : _options.NoiseVariance);
            accepted = TrajectoryAcceptance.Accept(logAlpha, _options.LossTolerance, _random) && !divergent;
            acceptance = divergent ? 0 : TrajectoryAcceptance.Probability(logAlpha);
        }
        else
        {
            accepted = !divergent;
            acceptance = divergent ? 0 : 1;
        }
        if (!accepted)
        {
            // With a persistent velocity the reverse move is the one with −v₀ (Neal); a redrawn one is irrelevant.
            _space.RestoreStart(reverseVelocity: _refreshRate > 0);
            _exactLogDensity = savedExact;
            _logDensityKnown = true;
        }
        _trajectories++;

        var info = new StepInfo
        {
            Accepted = accepted,
            AcceptanceProbability = acceptance,
            LogDensity = LogDensity,
            StepSize = dt,
            EnergyError = energyError,
            IntegrationSteps = steps,
            GradientEvaluations = _space.GradientEvaluations + _pendingGradients,
            DensityEvaluations = _pendingValues,
            Divergent = divergent,
        };
        _space.GradientEvaluations = 0;
        _pendingGradients = 0;
        _pendingValues = 0;
        return info;
    }

    /// <summary>log p at the trajectory start, as the test or the energy error needs it.</summary>
    private double StartLogDensity()
    {
        if (_exactTest) return _exactLogDensity;
        if (!_logDensityKnown) _space.EnsureGradient();
        return _space.LogDensity;
    }

    /// <summary>log p at the trajectory end. Evaluates without a gradient where that is exact and cheaper.</summary>
    private double EndLogDensity()
    {
        if (_exactTest)
        {
            _exactLogDensity = EvaluateExactValue();
            _logDensityKnown = _space.GradientValid;
            return _exactLogDensity;
        }
        if (!_space.GradientValid)
        {
            if (_density.IsStochastic) _space.EnsureGradient(); // a minibatch estimate, and a gradient for the next kick
            else
            {
                _space.LogDensity = _density.EvaluateValue(_space.Position);
                _pendingValues++;
            }
        }
        _logDensityKnown = true;
        return _space.LogDensity;
    }

    private double EvaluateExactValue()
    {
        _pendingValues++;
        return _density.EvaluateValue(_space.Position);
    }

    private int TrajectorySteps()
    {
        if (_options.StepsPerTrajectory is { } fixedSteps) return fixedSteps;
        var mean = StepsFromTime(_trajectoryTime, _stepSize);
        if (!_options.JitterSteps || _refreshRate > 0 || mean <= 1) return mean;
        // Uniform on 1…2N−1: mean N, and no fixed period a Gaussian's orbits could lock onto.
        return 1 + (int)_random.NextInt64(2 * mean - 1);
    }

    private int StepsFromTime(double time, double dt)
    {
        var steps = time / dt; // every integrator advances time by dt per step
        if (!double.IsFinite(steps)) return _options.MaxStepsPerTrajectory;
        return (int)Math.Clamp(Math.Round(steps), 1, _options.MaxStepsPerTrajectory);
    }

    private static void CheckRaysCoverTheta(IReadOnlyList<ParameterGroup> rays, int dimension)
    {
        var next = 0;
        foreach (var ray in rays.OrderBy(r => r.Offset))
        {
            if (ray.Offset != next || ray.Length <= 0)
                throw new ArgumentException($"Parameter group '{ray.Name}' at offset {ray.Offset} does not tile θ (expected offset {next}, positive length).");
            next += ray.Length;
        }
        if (next != dimension)
            throw new ArgumentException($"Parameter groups cover {next} values, the density has dimension {dimension}.");
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateVersion);
        _space.Save(writer);
        writer.Write(_logDensityKnown);
        writer.Write(_exactLogDensity);
        writer.Write(_stepSize);
        writer.Write(_trajectoryTime);
        writer.Write(_initialSearchPending);
        writer.Write(_trajectories);
        writer.Write(_pendingGradients + _space.GradientEvaluations);
        writer.Write(_pendingValues);
        _tuner.Save(writer);
        _random.SaveState(writer);
    }

    public void RestoreState(BinaryReader reader)
    {
        var version = reader.ReadInt32();
        if (version != StateVersion)
            throw new InvalidDataException($"Ray tracing checkpoint version {version} is not supported (expected {StateVersion}).");
        _space.Restore(reader);
        _logDensityKnown = reader.ReadBoolean();
        _exactLogDensity = reader.ReadDouble();
        _stepSize = reader.ReadDouble();
        _trajectoryTime = reader.ReadDouble();
        _initialSearchPending = reader.ReadBoolean();
        _trajectories = reader.ReadInt64();
        _pendingGradients = reader.ReadInt32();
        _space.GradientEvaluations = 0;
        _pendingValues = reader.ReadInt32();
        _tuner.Restore(reader);
        _random.RestoreState(reader);
    }

    public void Dispose()
    {
    }
}
