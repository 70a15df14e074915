namespace OnnxRay.Abstractions;

/// <summary>
/// A Markov transition kernel with explicit state. The driver owns chains, seeds, storage and progress;
/// a kernel never touches files or the console. Calling order:
/// <see cref="Initialize"/>, then <see cref="BeginWarmup"/>, (<see cref="Step"/>, <see cref="Adapt"/>) × W,
/// <see cref="EndWarmup"/>, then <see cref="Step"/> × N. <see cref="SaveState"/>/<see cref="RestoreState"/>
/// may be called between any two steps; a restored kernel continues bit-identically.
/// </summary>
public interface ISamplerKernel : IDisposable
{
    /// <summary>Binds the kernel to a density and a random stream and sets the start position.</summary>
    void Initialize(ILogDensity density, ReadOnlySpan<float> start, ChainRandom random);

    /// <summary>Current position θ (length D). Valid until the next call that changes state.</summary>
    ReadOnlySpan<float> Position { get; }

    /// <summary>log p at <see cref="Position"/>.</summary>
    double LogDensity { get; }

    /// <summary>One transition (a full trajectory for HMC and ray tracing).</summary>
    StepInfo Step();

    /// <summary>Starts warm-up: <paramref name="warmupSteps"/> calls of <see cref="Step"/> + <see cref="Adapt"/> follow.</summary>
    void BeginWarmup(int warmupSteps);

    /// <summary>Adapts tuning parameters after a warm-up step, from that step's info and the new position.</summary>
    void Adapt(in StepInfo info);

    /// <summary>Ends warm-up and freezes the tuning parameters.</summary>
    void EndWarmup();

    /// <summary>Writes the kernel's whole state (position, auxiliary variables, adaptation, random stream).</summary>
    void SaveState(BinaryWriter writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote; call after <see cref="Initialize"/> with the same density.</summary>
    void RestoreState(BinaryReader reader);
}
