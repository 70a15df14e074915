using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// Tells ONNX Runtime where a model handed to it as bytes keeps its external data. Without this, ORT resolves
/// relative locations against the process's working directory, so a model with side files would only load when the
/// caller happens to run inside the model's folder. ORT reads (memory-maps) the side files itself, so no weight
/// bytes pass through the serialised protobuf, which stays small whatever the model size.
/// </summary>
public static class ExternalDataFolder
{
    /// <summary>ORT session config key (onnxruntime_session_options_config_keys.h) for models loaded from memory.</summary>
    public const string SessionConfigKey = "session.model_external_initializers_file_folder_path";

    /// <summary>Sets the folder on <paramref name="options"/> when <paramref name="proto"/> still references external data.</summary>
    /// <exception cref="Errors.ExternalDataException">the model references external data but has no folder (it came from bytes).</exception>
    public static void Apply(SessionOptions options, ModelProto proto, string? baseDirectory, string modelPathForErrors)
    {
        ArgumentNullException.ThrowIfNull(options);
        var external = ModelTensors.All(proto).FirstOrDefault(ExternalDataResolver.IsExternal);
        if (external is null) return;
        if (baseDirectory is null)
            throw new Errors.ExternalDataException(modelPathForErrors, external.Name,
                external.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "",
                "the model was loaded from bytes without a base directory, so external data cannot be located");
        options.AddSessionConfigEntry(SessionConfigKey, Path.GetFullPath(baseDirectory));
    }
}
