namespace OnnxRay.Onnx.Autodiff;

/// <summary>
/// Generates value and node names that collide with nothing in the graph: a reserved prefix plus a counter,
/// checked against every name already present (values, nodes, initializers, inputs, outputs).
/// </summary>
public sealed class UniqueNames
{
    /// <summary>Prefix of every name OnnxRay invents inside a graph.</summary>
    public const string ReservedPrefix = "onnxray__";

    private readonly HashSet<string> _taken;
    private long _counter;

    public UniqueNames(IEnumerable<string> existing) => _taken = new HashSet<string>(existing, StringComparer.Ordinal);

    /// <summary>A fresh name "onnxray__{hint}_{n}".</summary>
    public string Next(string hint)
    {
        while (true)
        {
            var name = $"{ReservedPrefix}{hint}_{_counter++}";
            if (_taken.Add(name)) return name;
        }
    }

    /// <summary>Claims a fixed name (e.g. "theta"); false when it is already used.</summary>
    public bool TryClaim(string name) => _taken.Add(name);

    public bool IsTaken(string name) => _taken.Contains(name);
}
