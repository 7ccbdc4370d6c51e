namespace QcPipeline.Ssh;

/// <summary>How an unknown or changed host key is treated.</summary>
public enum HostKeyPolicy
{
    /// <summary>Only a key already in known_hosts (or the pinned fingerprint) is accepted.</summary>
    Strict,
    /// <summary>OpenSSH's accept-new: an unknown host's key is learnt into known_hosts; a changed key is still refused.</summary>
    AcceptNew,
}

/// <summary>Everything needed to open one SFTP connection. Secrets are held here only; ToString never shows them.</summary>
public sealed record SftpConnectionSettings
{
    /// <summary>Host name or address of the SSH server.</summary>
    public required string Host { get; init; }
    /// <summary>TCP port of the SSH server.</summary>
    public int Port { get; init; } = 22;
    /// <summary>User to log in as.</summary>
    public required string User { get; init; }

    /// <summary>Private key file: ed25519, ecdsa or RSA (signed rsa-sha2-256/512), OpenSSH, PEM or PuTTY format.</summary>
    public string? PrivateKeyPath { get; init; }
    /// <summary>Passphrase of an encrypted <see cref="PrivateKeyPath"/>.</summary>
    public string? Passphrase { get; init; }
    /// <summary>Password, tried after the key as ssh does.</summary>
    public string? Password { get; init; }

    /// <summary>The known_hosts file host keys are checked against (and learnt into under accept-new).</summary>
    public string? KnownHostsPath { get; init; }

    /// <summary>SHA256:base64 as ssh-keygen -l prints it; checked instead of known_hosts when set.</summary>
    public string? PinnedFingerprint { get; init; }
    /// <summary>What to do with a host key known_hosts does not hold yet.</summary>
    public HostKeyPolicy HostKeyPolicy { get; init; } = HostKeyPolicy.Strict;

    /// <summary>Longest wait for the TCP connect and the SSH handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Longest wait for the answer to one SFTP request.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an SSH keepalive is sent (so idle connections survive NATs and server timeouts); zero: never.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>user@host:port, for messages.</summary>
    public string Where => $"{User}@{Host}:{Port}";

    /// <summary>sftp://user@host:port, no secret.</summary>
    public override string ToString() => $"sftp://{Where}";
}
