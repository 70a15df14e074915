using OnnxRay.Abstractions;

namespace GoodPlugin;

/// <summary>Random-walk Metropolis with a fixed step size and full state save/restore.</summary>
public sealed class GoodKernel(GoodOptions options) : ISamplerKernel
{
    private ILogDensity _density = null!;
    private ChainRandom _random = null!;
    private float[] _position = [];
    private float[] _proposal = [];
    private double _logDensity;

    public ReadOnlySpan<float> Position => _position;
    public double LogDensity => _logDensity;

    public void Initialize(ILogDensity density, ReadOnlySpan<float> start, ChainRandom random)
    {
        _density = density;
        _random = random;
        _position = start.ToArray();
        _proposal = new float[start.Length];
        _logDensity = density.EvaluateValue(_position);
    }

    public StepInfo Step()
    {
        var accepted = false;
        double alpha = 0;
        for (var s = 0; s < options.Steps; s++)
        {
            for (var i = 0; i < _position.Length; i++) _proposal[i] = _position[i] + (float)(options.StepSize * _random.NextGaussian());
            var proposed = _density.EvaluateValue(_proposal);
            alpha = Math.Min(1, Math.Exp(proposed - _logDensity));
            if (_random.NextDouble() < alpha)
            {
                (_position, _proposal) = (_proposal, _position);
                _logDensity = proposed;
                accepted = true;
            }
        }
        return new StepInfo { Accepted = accepted, AcceptanceProbability = alpha, LogDensity = _logDensity, StepSize = options.StepSize, IntegrationSteps = 1, DensityEvaluations = options.Steps };
    }

    public void BeginWarmup(int warmupSteps) { }
    public void Adapt(in StepInfo info) { }
    public void EndWarmup() { }

    public void SaveState(BinaryWriter writer)
    {
        foreach (var x in _position) writer.Write(x);
        writer.Write(_logDensity);
        _random.SaveState(writer);
    }

    public void RestoreState(BinaryReader reader)
    {
        for (var i = 0; i < _position.Length; i++) _position[i] = reader.ReadSingle();
        _logDensity = reader.ReadDouble();
        _random.RestoreState(reader);
    }

    public void Dispose() { }
}
