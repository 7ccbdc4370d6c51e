namespace QcPipeline.Ssh;

/// <summary>What went wrong, in the terms a user acts on.</summary>
public enum SshErrorKind
{
    ConnectionRefused,
    Timeout,
    AuthenticationFailed,
    HostKeyMismatch,
    HostKeyUnknown,
    NoSuchFile,
    PermissionDenied,
    ConnectionLost,
    Protocol,
    Other,
}

/// <summary>
/// An SSH, SFTP or socket failure, with the host and remote path in its message and never a secret.
/// <see cref="IsTransient"/> says whether another attempt (on a new connection) may succeed.
/// </summary>
public sealed class SshException : Exception
{
    public SshException(SshErrorKind kind, string message, bool transient, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
        IsTransient = transient;
    }

    public SshErrorKind Kind { get; }

    public bool IsTransient { get; }

    /// <summary>After this error the connection cannot be used again.</summary>
    public bool ConnectionBroken => Kind is SshErrorKind.ConnectionLost or SshErrorKind.Timeout or SshErrorKind.Protocol;
}
