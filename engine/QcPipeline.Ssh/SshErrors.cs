using System.Net.Sockets;
using Renci.SshNet.Common;
using Renci.SshNet.Messages.Transport;
using RenciSshException = Renci.SshNet.Common.SshException;

namespace QcPipeline.Ssh;

/// <summary>Turns SSH.NET and socket failures into <see cref="SshException"/>s that say what happened where
/// (user@host:port and the path) in the terms a user acts on. SSH.NET's messages carry no secrets.</summary>
internal static class SshErrors
{
    /// <summary>The error for a failed SFTP request on <paramref name="where"/> (user@host:port:path).</summary>
    public static SshException Request(Exception e, string where) => e switch
    {
        SshException ours => ours,
        SftpPathNotFoundException => new(SshErrorKind.NoSuchFile, $"{where}: no such file", transient: false, e),
        SftpPermissionDeniedException => new(SshErrorKind.PermissionDenied, $"{where}: permission denied", transient: false, e),
        SftpException s => new(SshErrorKind.Other, $"{where}: the server refused ({s.StatusCode}: {OneLine(s.Message)})", transient: false, e),
        SshOperationTimeoutException => new(SshErrorKind.Timeout, $"{where}: the server did not answer in time (operation_timeout)", transient: true, e),
        ObjectDisposedException or SshConnectionException or RenciSshException or SocketException or IOException
            => new(SshErrorKind.ConnectionLost, $"{where}: connection lost ({OneLine(e.Message)})", transient: true, e),
        _ => new(SshErrorKind.Other, $"{where}: {OneLine(e.Message)} ({e.GetType().Name})", transient: false, e),
    };

    /// <summary>The error for a failed connect to <paramref name="where"/> (user@host:port).</summary>
    public static SshException Connect(Exception e, string where, bool identified, string? authProblem)
    {
        switch (e)
        {
            case SshException ours:
                return ours;
            case SshAuthenticationException:
                return new(SshErrorKind.AuthenticationFailed, $"{where}: authentication failed: {authProblem ?? OneLine(e.Message)}", transient: false, e);
            case SshOperationTimeoutException:
                return new(SshErrorKind.Timeout, $"{where}: connecting timed out (connect_timeout)", transient: true, e);
            case SocketException s when s.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain:
                return new(SshErrorKind.Other, $"{where}: unknown host ({OneLine(s.Message)})", transient: false, e);
            case SocketException s when s.SocketErrorCode == SocketError.ConnectionRefused:
                return new(SshErrorKind.ConnectionRefused, $"{where}: connection refused", transient: true, e);
            case SocketException s when s.SocketErrorCode == SocketError.TimedOut:
                return new(SshErrorKind.Timeout, $"{where}: connecting timed out", transient: true, e);
        }
        // A server at its MaxStartups limit accepts the connection, then drops it before it says who it is: say so plainly.
        if (!identified && e is SshConnectionException or RenciSshException or SocketException { SocketErrorCode: SocketError.ConnectionReset } or IOException)
            return new(SshErrorKind.ConnectionRefused, $"{where}: the server closed the connection during the handshake (too many connections? sshd MaxStartups)", transient: true, e);
        if (e is SocketException or IOException)
            return new(SshErrorKind.ConnectionLost, $"{where}: cannot connect ({OneLine(e.Message)})", transient: true, e);
        return e switch
        {
            SshConnectionException { DisconnectReason: DisconnectReason.ConnectionLost } or SshConnectionException { DisconnectReason: DisconnectReason.None }
                => new(SshErrorKind.ConnectionLost, $"{where}: connection lost during the handshake ({OneLine(e.Message)})", transient: true, e),
            SshConnectionException or RenciSshException
                => new(SshErrorKind.Protocol, $"{where}: the SSH handshake failed ({OneLine(e.Message)})", transient: true, e),
            _ => new(SshErrorKind.Other, $"{where}: {OneLine(e.Message)} ({e.GetType().Name})", transient: false, e),
        };
    }

    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
