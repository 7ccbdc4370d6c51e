using System.Runtime.InteropServices;

namespace QcPipeline.Ssh.Interop;

/// <summary>Turns libssh2 return codes into <see cref="SshException"/>s that name the host and path.</summary>
internal static class SshErrors
{
    private const int Timeout = -9, SocketTimeout = -30, SocketSend = -7, SocketRecv = -43, SocketDisconnect = -13,
        BannerRecv = -2, BannerSend = -3, KexFailure = -5, KeyExchangeFailure = -8, Proto = -14, AuthFailed = -18,
        PublicKeyUnverified = -19, File = -16, SftpProtocol = -31, KeyfileAuthFailed = -48, MethodNone = -17,
        BadSocket = -45, SocketNone = -1, Decrypt = -12, InvalidMac = -4;

    private const uint FxNoSuchFile = 2, FxPermissionDenied = 3, FxNoConnection = 6, FxConnectionLost = 7, FxNoSuchPath = 10;

    public static string LastMessage(SessionHandle session)
    {
        LibSsh2.libssh2_session_last_error(session, out var text, out _, 0);
        return text == IntPtr.Zero ? "" : Marshal.PtrToStringUTF8(text) ?? "";
    }

    /// <summary>The exception for a failed session-level call (<paramref name="code"/> &lt; 0).</summary>
    public static SshException Session(SessionHandle session, int code, string where)
    {
        var detail = LastMessage(session);
        var (kind, transient) = code switch
        {
            Timeout or SocketTimeout => (SshErrorKind.Timeout, true),
            SocketSend or SocketRecv or SocketDisconnect or BannerRecv or BannerSend or BadSocket or SocketNone => (SshErrorKind.ConnectionLost, true),
            KexFailure or KeyExchangeFailure or Proto or Decrypt or InvalidMac => (SshErrorKind.Protocol, true),
            AuthFailed or PublicKeyUnverified or KeyfileAuthFailed or MethodNone => (SshErrorKind.AuthenticationFailed, false),
            File => (SshErrorKind.AuthenticationFailed, false),
            _ => (SshErrorKind.Other, false),
        };
        var what = kind switch
        {
            SshErrorKind.Timeout => "timed out",
            SshErrorKind.ConnectionLost => "connection lost",
            SshErrorKind.Protocol => "protocol error",
            SshErrorKind.AuthenticationFailed => "authentication failed",
            _ => "failed",
        };
        return new SshException(kind, $"{where}: {what}{(detail.Length > 0 ? $" ({detail})" : "")}", transient);
    }

    /// <summary>The exception for a failed SFTP call: the server's status when it sent one, else the session error.</summary>
    public static SshException Sftp(SessionHandle session, SftpSessionHandle sftp, int code, string where)
    {
        if (code != SftpProtocol) return Session(session, code, where);
        var status = (uint)LibSsh2.libssh2_sftp_last_error(sftp);
        return status switch
        {
            FxNoSuchFile or FxNoSuchPath => new SshException(SshErrorKind.NoSuchFile, $"{where}: no such file", transient: false),
            FxPermissionDenied => new SshException(SshErrorKind.PermissionDenied, $"{where}: permission denied", transient: false),
            FxNoConnection or FxConnectionLost => new SshException(SshErrorKind.ConnectionLost, $"{where}: connection lost", transient: true),
            _ => new SshException(SshErrorKind.Other, $"{where}: the server refused (SFTP status {status})", transient: false),
        };
    }
}
