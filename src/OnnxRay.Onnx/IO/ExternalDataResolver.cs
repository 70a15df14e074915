using System.Globalization;
using Microsoft.Win32.SafeHandles;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// Applies the ONNX external-data security rules (onnx ExternalDataSecurity.md) before any byte is read:
/// no absolute paths or "..", the canonical path must stay inside the canonical model folder (symlinks in any
/// component are resolved first), no final-component symlink, no hard-linked files, only known keys,
/// non-negative offset/length inside the file, and a length equal to numel × element size.
/// </summary>
public static class ExternalDataResolver
{
    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal) { "location", "offset", "length", "checksum" };

    /// <summary>True when the tensor's bytes live in a side file.</summary>
    public static bool IsExternal(TensorProto tensor) =>
        tensor.DataLocation == TensorProto.Types.DataLocation.External;

    /// <summary>Validates the tensor's external_data entries against the model folder; throws ExternalDataException naming model, tensor and location.</summary>
    public static ExternalDataReference Resolve(string modelPath, string? baseDirectory, TensorProto tensor)
    {
        var name = tensor.Name;
        string? location = null, offsetText = null, lengthText = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in tensor.ExternalData)
        {
            if (entry.Key == "location") location = entry.Value;
            if (!seen.Add(entry.Key))
                throw new ExternalDataException(modelPath, name, location ?? "", $"key '{entry.Key}' appears more than once");
        }
        ExternalDataException Error(string problem) => new(modelPath, name, location ?? "", problem);

        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "offset": offsetText = entry.Value; break;
                case "length": lengthText = entry.Value; break;
                case "location": case "checksum": break;
                default: throw Error($"unknown external_data key '{entry.Key}' (allowed: {string.Join(", ", KnownKeys)})");
            }
        }
        if (string.IsNullOrEmpty(location)) throw Error("the required 'location' key is missing or empty");
        if (location.StartsWith('/') || location.StartsWith('\\') || Path.IsPathRooted(location) || (location.Length >= 2 && location[1] == ':'))
            throw Error("the location is an absolute path; only paths relative to the model folder are allowed");
        if (location.Split('/', '\\').Any(segment => segment == ".."))
            throw Error("the location contains a '..' segment");
        if (location.Contains('\0')) throw Error("the location contains a NUL character");
        if (baseDirectory is null)
            throw Error("the model was loaded from bytes without a base directory, so external data cannot be located");

        var offset = ParseNonNegative(offsetText, "offset", Error) ?? 0;
        var declaredLength = ParseNonNegative(lengthText, "length", Error);

        long expectedLength;
        try { expectedLength = TensorElementTypes.ByteCount(tensor); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or OverflowException)
        {
            throw Error($"cannot compute the tensor's byte size: {e.Message}");
        }
        if (declaredLength is { } dl && dl != expectedLength)
            throw Error($"length {dl} differs from numel × element size = {expectedLength} ({TensorElementTypes.Name(tensor.DataType)} [{string.Join(",", tensor.Dims)}])");

        var modelFolder = Path.GetFullPath(baseDirectory);
        var fullPath = Path.GetFullPath(Path.Combine(modelFolder, location));
        string canonicalFile;
        ulong device = 0, inode = 0;
        var hasIdentity = false;
        long fileSize;
        if (UnixFileStatus.IsSupported)
        {
            var linkStatus = UnixFileStatus.OfLink(fullPath) ?? throw Error($"the file '{fullPath}' does not exist");
            if (linkStatus.IsSymbolicLink) throw Error("the file is a symbolic link");
            var canonicalFolder = UnixFileStatus.RealPath(modelFolder) ?? throw Error($"the model folder '{modelFolder}' does not exist");
            canonicalFile = UnixFileStatus.RealPath(fullPath) ?? throw Error($"the file '{fullPath}' cannot be resolved");
            if (!IsInside(canonicalFile, canonicalFolder))
                throw Error($"the canonical path '{canonicalFile}' escapes the model folder '{canonicalFolder}'");
            var status = UnixFileStatus.OfPath(canonicalFile) ?? throw Error($"the file '{canonicalFile}' cannot be read");
            if (!status.IsRegularFile) throw Error("the location is not a regular file");
            if (status.LinkCount > 1) throw Error($"the file has {status.LinkCount} hard links; hard-linked data files are refused");
            (device, inode, hasIdentity, fileSize) = (status.Device, status.Inode, true, status.Size);
        }
        else
        {
            var info = new FileInfo(fullPath);
            if (!info.Exists) throw Error($"the file '{fullPath}' does not exist");
            if (info.LinkTarget is not null) throw Error("the file is a symbolic link");
            canonicalFile = ResolveManaged(fullPath);
            if (!IsInside(canonicalFile, ResolveManaged(modelFolder)))
                throw Error($"the canonical path '{canonicalFile}' escapes the model folder");
            fileSize = info.Length;
        }

        var length = declaredLength ?? expectedLength;
        if (offset > fileSize || length > fileSize - offset)
            throw Error($"offset {offset} + length {length} is beyond the file size {fileSize}");

        return new ExternalDataReference(modelPath, name, location, canonicalFile, offset, length)
        {
            Device = device, Inode = inode, HasIdentity = hasIdentity,
        };
    }

    /// <summary>Opens the validated file for reading and re-checks that it is the same file that was validated.</summary>
    public static SafeFileHandle Open(ExternalDataReference reference)
    {
        SafeFileHandle handle;
        try { handle = File.OpenHandle(reference.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ExternalDataException(reference.ModelPath, reference.TensorName, reference.Location, $"cannot open the file: {e.Message}");
        }
        if (reference.HasIdentity)
        {
            var opened = UnixFileStatus.OfHandle(handle);
            if (opened is not { } s || s.Device != reference.Device || s.Inode != reference.Inode || s.LinkCount > 1)
            {
                handle.Dispose();
                throw new ExternalDataException(reference.ModelPath, reference.TensorName, reference.Location,
                    "the file changed between validation and opening");
            }
        }
        return handle;
    }

    private static long? ParseNonNegative(string? text, string key, Func<string, ExternalDataException> error)
    {
        if (text is null) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw error($"'{key}' is not a decimal integer: '{text}'");
        if (value < 0) throw error($"'{key}' is negative: {value}");
        return value;
    }

    private static bool IsInside(string path, string folder)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static string ResolveManaged(string path)
    {
        // Resolve symlinks component by component (used where libc realpath is unavailable).
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.ResolveLinkTarget(returnFinalTarget: true) is { } target) current = Path.GetFullPath(target.FullName);
        }
        return current;
    }
}
