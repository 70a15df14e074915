using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OnnxRay.Onnx.IO;

/// <summary>
/// The few fields of a POSIX <c>struct stat</c> that the external-data security checks need
/// (device, inode, hard-link count, mode, size). .NET exposes no hard-link count, so this calls libc.
/// </summary>
internal readonly record struct UnixFileStatus(ulong Device, ulong Inode, ulong LinkCount, uint Mode, long Size)
{
    private const uint FileTypeMask = 0xF000; // S_IFMT
    private const uint SymbolicLinkType = 0xA000; // S_IFLNK
    private const uint RegularFileType = 0x8000; // S_IFREG

    public bool IsSymbolicLink => (Mode & FileTypeMask) == SymbolicLinkType;
    public bool IsRegularFile => (Mode & FileTypeMask) == RegularFileType;

    /// <summary>True where libc stat calls are available and their struct layout is known (Linux x64/arm64).</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Status of the path itself (a symlink is not followed); null when the path does not exist.</summary>
    public static UnixFileStatus? OfLink(string path) => Call(buffer => lstat(path, buffer));

    /// <summary>Status of what the path names, following symlinks; null when it does not exist.</summary>
    public static UnixFileStatus? OfPath(string path) => Call(buffer => stat(path, buffer));

    /// <summary>Status of an open file (used to re-check identity after opening).</summary>
    public static UnixFileStatus? OfHandle(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            return Call(buffer => fstat(fd, buffer));
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Canonical absolute path with every symlink resolved (libc realpath); null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var result = realpath(path, IntPtr.Zero);
        if (result == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(result); }
        finally { free(result); }
    }

    private static unsafe UnixFileStatus? Call(Func<IntPtr, int> call)
    {
        // struct stat is 144 bytes on x86-64 and 128 on arm64; a larger buffer leaves room.
        var buffer = stackalloc byte[256];
        if (call((IntPtr)buffer) != 0) return null;
        var span = new ReadOnlySpan<byte>(buffer, 256);
        return RuntimeInformation.ProcessArchitecture == Architecture.X64
            // x86-64: dev@0 ino@8 nlink@16(u64) mode@24(u32) uid gid pad rdev@40 size@48
            ? new UnixFileStatus(Read<ulong>(span, 0), Read<ulong>(span, 8), Read<ulong>(span, 16), Read<uint>(span, 24), Read<long>(span, 48))
            // arm64 (generic layout): dev@0 ino@8 mode@16(u32) nlink@20(u32) uid gid rdev@32 pad size@48
            : new UnixFileStatus(Read<ulong>(span, 0), Read<ulong>(span, 8), Read<uint>(span, 20), Read<uint>(span, 16), Read<long>(span, 48));
    }

    private static T Read<T>(ReadOnlySpan<byte> span, int offset) where T : unmanaged =>
        MemoryMarshal.Read<T>(span[offset..]);

    [DllImport("libc", SetLastError = true)]
    private static extern int stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int lstat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int fstat(int fd, IntPtr buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
