namespace QcPipeline.Ssh;

/// <summary>What went wrong, in the terms a user acts on.</summary>
public enum SshErrorKind
{
    /// <summary>Nothing listens on the port, or the server dropped the connection during the handshake (MaxStartups).</summary>
    ConnectionRefused,
    /// <summary>Connecting, or a request, did not finish in time.</summary>
    Timeout,
    /// <summary>Neither the key nor the password got in.</summary>
    AuthenticationFailed,
    /// <summary>The host key differs from known_hosts or the pinned fingerprint, or is revoked.</summary>
    HostKeyMismatch,
    /// <summary>The host key is not in known_hosts and the policy is strict.</summary>
    HostKeyUnknown,
    /// <summary>The remote path does not exist.</summary>
    NoSuchFile,
    /// <summary>The server refused access to the remote path.</summary>
    PermissionDenied,
    /// <summary>The connection broke (a new one may work).</summary>
    ConnectionLost,
    /// <summary>The SSH handshake failed.</summary>
    Protocol,
    /// <summary>Anything else (an unknown host, a server's refusal with its status).</summary>
    Other,
}

/// <summary>
/// An SSH, SFTP or socket failure, with the host and remote path in its message and never a secret.
/// <see cref="IsTransient"/> says whether another attempt (on a new connection) may succeed.
/// </summary>
public sealed class SshException : Exception
{
    /// <summary>An error of <paramref name="kind"/>; <paramref name="transient"/> when a retry on a new connection may succeed.</summary>
    public SshException(SshErrorKind kind, string message, bool transient, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
        IsTransient = transient;
    }

    /// <summary>What went wrong, for callers that act on it.</summary>
    public SshErrorKind Kind { get; }

    /// <summary>Another attempt, on a new connection, may succeed.</summary>
    public bool IsTransient { get; }

    /// <summary>After this error the connection cannot be used again.</summary>
    public bool ConnectionBroken => Kind is SshErrorKind.ConnectionLost or SshErrorKind.Timeout or SshErrorKind.Protocol;
}
