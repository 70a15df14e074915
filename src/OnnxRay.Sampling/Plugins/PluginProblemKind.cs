namespace OnnxRay.Sampling.Plugins;

/// <summary>Why a plugin (or one of its samplers) was not loaded.</summary>
public enum PluginProblemKind
{
    /// <summary>A plugin search folder given by the user (or the built-in plugins folder) does not exist.</summary>
    FolderNotFound,

    /// <summary>A plugin folder holds no recognisable plugin assembly.</summary>
    NoPluginAssembly,

    /// <summary>The plugin assembly, or an assembly it needs, could not be found.</summary>
    MissingDependency,

    /// <summary>The plugin was compiled against another major version of OnnxRay.Abstractions.</summary>
    ContractVersionMismatch,

    /// <summary>Another plugin loaded earlier already provides a sampler of the same name.</summary>
    DuplicateSamplerName,

    /// <summary>The factory's constructor (or one of its members) threw.</summary>
    FactoryFailed,

    /// <summary>The assembly could not be loaded or inspected for another reason (bad image, not .NET, ...).</summary>
    LoadFailed,
}
