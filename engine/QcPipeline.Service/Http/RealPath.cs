using System.Runtime.InteropServices;

namespace QcPipeline.Service.Http;

/// <summary>A path with every symbolic link resolved (realpath(3)), so that "inside this folder" means what it says.</summary>
internal static partial class RealPath
{
    /// <summary>The resolved absolute path; <see cref="IOException"/> when it does not exist.</summary>
    public static string Of(string path)
    {
        var resolved = realpath(Path.GetFullPath(path), IntPtr.Zero);
        if (resolved == IntPtr.Zero) throw new IOException($"{path}: {Marshal.GetLastPInvokeErrorMessage()}");
        try { return Marshal.PtrToStringUTF8(resolved)!; }
        finally { free(resolved); }
    }

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void free(IntPtr pointer);
}
