using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace OnnxRay.Sampling.Plugins;

/// <summary>
/// Reads which OnnxRay.Abstractions version a plugin assembly was compiled against, from its metadata alone
/// (nothing is loaded, so a plugin built for another contract cannot disturb the process).
/// </summary>
internal static class ContractVersionReader
{
    public const string ContractAssemblyName = "OnnxRay.Abstractions";

    /// <summary>The referenced contract version, or null when the assembly does not reference the contract.</summary>
    /// <exception cref="BadImageFormatException">The file is not a .NET assembly.</exception>
    public static Version? ReferencedContractVersion(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new BadImageFormatException($"'{assemblyPath}' is not a .NET assembly (no metadata).", assemblyPath);
        var reader = pe.GetMetadataReader();
        foreach (var handle in reader.AssemblyReferences)
        {
            var reference = reader.GetAssemblyReference(handle);
            if (reader.GetString(reference.Name) == ContractAssemblyName) return reference.Version;
        }
        return null;
    }
}
