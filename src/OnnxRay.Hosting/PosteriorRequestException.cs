using OnnxRay.Onnx.Errors;

namespace OnnxRay.Hosting;

/// <summary>
/// A prediction request that cannot be served as given; <see cref="Field"/> names the offending part in the request's
/// JSON terms (e.g. <c>inputs.x.shape[1]</c>), and the message starts with it.
/// </summary>
public sealed class PosteriorRequestException(string field, string problem) : OnnxRayException($"{field}: {problem}")
{
    /// <summary>Path of the field at fault, e.g. <c>inputs.x.data[3]</c>.</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong with it (the message without the field).</summary>
    public string Problem { get; } = problem;
}
