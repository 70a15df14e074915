namespace OnnxRay.Onnx.Errors;

/// <summary>Base of every typed OnnxRay error; the message names what is wrong and where.</summary>
public class OnnxRayException(string message, Exception? inner = null) : Exception(message, inner);
