namespace OnnxRay.Onnx.Errors;

/// <summary>One session of a device pool failed while evaluating its share of a batch (names the device and session).</summary>
public sealed class DevicePoolException(string device, int session, int sessions, Exception inner)
    : OnnxRayException($"Device '{device}' (session {session} of {sessions} in the device pool) failed: {inner.Message}", inner)
{
    public string Device { get; } = device;

    /// <summary>0-based index of the failed session in the pool.</summary>
    public int Session { get; } = session;
}
