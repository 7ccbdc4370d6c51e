using System.Reflection;
using System.Runtime.InteropServices;

namespace QcPipeline.Ssh.Interop;

/// <summary>
/// The libssh2 functions we use, as Debian's libssh2-1 (1.10) exports them. Every call that can fail is
/// checked right after it returns, on the same thread, by <see cref="SshErrors"/>.
/// </summary>
internal static unsafe partial class LibSsh2
{
    private const string Library = "ssh2";

    // Debian's runtime package ships only the soname (libssh2.so.1); "libssh2.so" comes with -dev.
    // libssh2_init must run once before any thread uses the library.
    static LibSsh2()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibSsh2).Assembly, Resolve);
        var rc = libssh2_init(0);
        if (rc != 0) throw new SshException(SshErrorKind.Other, $"libssh2 could not be initialised (code {rc})", transient: false);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in new[] { "libssh2.so.1", "libssh2.so" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException("libssh2 is not installed (Debian: apt-get install libssh2-1)");
    }

    /// <summary>Runs the static constructor (resolver + libssh2_init) before any worker thread exists.</summary>
    internal static void EnsureInitialised() { }

    public const int MethodHostKey = 1;
    public const int HostKeyHashSha256 = 3;
    public const int KnownHostTypePlain = 1;
    public const int KnownHostKeyEncRaw = 1 << 16;
    public const int KnownHostFileOpenSsh = 1;
    public const int SftpOpenFile = 0, SftpOpenDir = 1;
    public const int SftpStat = 0, SftpLstat = 1, SftpRealPath = 2;
    public const uint FxfRead = 1;
    public const int DisconnectByApplication = 11;
    public const int ErrorEagain = -37;

    [StructLayout(LayoutKind.Sequential)]
    public struct SftpAttributes
    {
        public nuint Flags;       // unsigned long
        public ulong FileSize;
        public nuint Uid, Gid;
        public nuint Permissions;
        public nuint ATime, MTime;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct KnownHost
    {
        public uint Magic;
        public IntPtr Node;
        public IntPtr Name;
        public IntPtr Key;
        public int TypeMask;
    }

    [LibraryImport(Library)] private static partial int libssh2_init(int flags);

    [LibraryImport(Library)] public static partial IntPtr libssh2_session_init_ex(IntPtr alloc, IntPtr free, IntPtr realloc, IntPtr abstractData);
    [LibraryImport(Library)] public static partial int libssh2_session_free(IntPtr session);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int libssh2_session_disconnect_ex(IntPtr session, int reason, string description, string lang);
    [LibraryImport(Library)] public static partial void libssh2_session_set_blocking(SessionHandle session, int blocking);
    [LibraryImport(Library)] public static partial void libssh2_session_set_timeout(SessionHandle session, nint timeoutMs);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int libssh2_session_method_pref(SessionHandle session, int methodType, string prefs);
    [LibraryImport(Library)] public static partial int libssh2_session_handshake(SessionHandle session, int socket);
    [LibraryImport(Library)] public static partial IntPtr libssh2_session_hostkey(SessionHandle session, out nuint length, out int type);
    [LibraryImport(Library)] public static partial int libssh2_session_last_error(SessionHandle session, out IntPtr message, out int length, int wantBuffer);
    [LibraryImport(Library)] public static partial int libssh2_session_last_errno(SessionHandle session);
    [LibraryImport(Library)] public static partial void libssh2_keepalive_config(SessionHandle session, int wantReply, uint interval);
    [LibraryImport(Library)] public static partial int libssh2_keepalive_send(SessionHandle session, out int secondsToNext);

    [LibraryImport(Library)] public static partial IntPtr libssh2_userauth_list(SessionHandle session, byte[] user, uint userLength);
    [LibraryImport(Library)]
    public static partial int libssh2_userauth_password_ex(SessionHandle session, byte[] user, uint userLength, byte[] password, uint passwordLength, IntPtr changeCallback);
    [LibraryImport(Library)]
    public static partial int libssh2_userauth_publickey_fromfile_ex(SessionHandle session, byte[] user, uint userLength, byte[]? publicKey, byte[] privateKey, byte[]? passphrase);

    [LibraryImport(Library)] public static partial IntPtr libssh2_knownhost_init(SessionHandle session);
    [LibraryImport(Library)] public static partial void libssh2_knownhost_free(IntPtr hosts);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int libssh2_knownhost_readfile(IntPtr hosts, string filename, int type);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int libssh2_knownhost_checkp(IntPtr hosts, string host, int port, IntPtr key, nuint keyLength, int typeMask, out IntPtr knownHost);

    [LibraryImport(Library)] public static partial IntPtr libssh2_sftp_init(SessionHandle session);
    [LibraryImport(Library)] public static partial int libssh2_sftp_shutdown(IntPtr sftp);
    [LibraryImport(Library)] public static partial nuint libssh2_sftp_last_error(SftpSessionHandle sftp);
    [LibraryImport(Library)]
    public static partial IntPtr libssh2_sftp_open_ex(SftpSessionHandle sftp, byte[] path, uint pathLength, nuint flags, nint mode, int openType);
    [LibraryImport(Library)] public static partial int libssh2_sftp_close_handle(IntPtr handle);
    [LibraryImport(Library)] public static partial nint libssh2_sftp_read(SftpFileHandle handle, byte* buffer, nuint length);
    [LibraryImport(Library)] public static partial void libssh2_sftp_seek64(SftpFileHandle handle, ulong offset);
    [LibraryImport(Library)]
    public static partial int libssh2_sftp_fstat_ex(SftpFileHandle handle, out SftpAttributes attributes, int setStat);
    [LibraryImport(Library)]
    public static partial int libssh2_sftp_readdir_ex(SftpFileHandle handle, byte* buffer, nuint bufferLength, byte* longEntry, nuint longEntryLength, out SftpAttributes attributes);
    [LibraryImport(Library)]
    public static partial int libssh2_sftp_stat_ex(SftpSessionHandle sftp, byte[] path, uint pathLength, int statType, out SftpAttributes attributes);
    [LibraryImport(Library)]
    public static partial int libssh2_sftp_symlink_ex(SftpSessionHandle sftp, byte[] path, uint pathLength, byte* target, uint targetLength, int linkType);
}
