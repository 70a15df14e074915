using OnnxRay.Abstractions;

namespace OnnxRay.Sampling.Tests.Driver.TestKernels;

/// <summary>
/// A complete random-walk Metropolis kernel for driver tests: Robbins–Monro scale adaptation during warm-up and a
/// full state save/restore (position, log p, scale, adaptation counters, random stream).
/// </summary>
public sealed class RandomWalkKernel(RandomWalkOptions options) : ISamplerKernel
{
    private ILogDensity _density = null!;
    private ChainRandom _random = null!;
    private float[] _position = [];
    private float[] _proposal = [];
    private double _logDensity;
    private double _logScale = Math.Log(options.Scale);
    private bool _adapting;
    private int _adaptSteps;

    public ReadOnlySpan<float> Position => _position;
    public double LogDensity => _logDensity;

    public void Initialize(ILogDensity density, ReadOnlySpan<float> start, ChainRandom random)
    {
        _density = density;
        _random = random;
        _position = start.ToArray();
        _proposal = new float[start.Length];
        _logDensity = density.EvaluateValue(_position);
        if (!double.IsFinite(_logDensity)) throw new InvalidOperationException("start point has a non-finite log density.");
    }

    public StepInfo Step()
    {
        var scale = Math.Exp(_logScale);
        var accepted = false;
        double acceptance = 0, energyError = 0;
        for (var p = 0; p < options.ProposalsPerStep; p++)
        {
            for (var i = 0; i < _position.Length; i++)
            {
                var noise = options.Proposal == ProposalKind.Gaussian ? _random.NextGaussian() : 2 * _random.NextDouble() - 1;
                _proposal[i] = _position[i] + (float)(scale * noise);
            }
            var proposed = _density.EvaluateValue(_proposal);
            var logAlpha = proposed - _logDensity;
            acceptance = double.IsFinite(logAlpha) ? Math.Min(1, Math.Exp(logAlpha)) : 0;
            energyError = logAlpha;
            if (Math.Log(_random.NextOpenDouble()) < logAlpha)
            {
                (_position, _proposal) = (_proposal, _position);
                _logDensity = proposed;
                accepted = true;
            }
        }
        return new StepInfo
        {
            Accepted = accepted,
            AcceptanceProbability = acceptance,
            LogDensity = _logDensity,
            StepSize = scale,
            EnergyError = energyError,
            IntegrationSteps = 1,
            DensityEvaluations = options.ProposalsPerStep,
        };
    }

    public void BeginWarmup(int warmupSteps)
    {
        _adapting = options.Adapt;
        _adaptSteps = 0;
    }

    public void Adapt(in StepInfo info)
    {
        if (!_adapting) return;
        _adaptSteps++;
        _logScale += (info.AcceptanceProbability - options.TargetAcceptance) / Math.Sqrt(_adaptSteps);
        if (options.MaxScale is { } max) _logScale = Math.Min(_logScale, Math.Log(max));
    }

    public void EndWarmup() => _adapting = false;

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_position.Length);
        foreach (var x in _position) writer.Write(x);
        writer.Write(_logDensity);
        writer.Write(_logScale);
        writer.Write(_adapting);
        writer.Write(_adaptSteps);
        _random.SaveState(writer);
    }

    public void RestoreState(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        if (n != _position.Length) throw new InvalidDataException($"state has D={n}, kernel has D={_position.Length}.");
        for (var i = 0; i < n; i++) _position[i] = reader.ReadSingle();
        _logDensity = reader.ReadDouble();
        _logScale = reader.ReadDouble();
        _adapting = reader.ReadBoolean();
        _adaptSteps = reader.ReadInt32();
        _random.RestoreState(reader);
    }

    public void Dispose() { }
}
