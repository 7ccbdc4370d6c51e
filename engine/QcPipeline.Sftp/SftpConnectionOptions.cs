using QcPipeline.Core.Options;

namespace QcPipeline.Sftp;

/// <summary>How strictly a server's host key is checked.</summary>
public enum HostKeyCheck
{
    /// <summary>The key must be in known_hosts (or match the pinned fingerprint); anything else is refused.</summary>
    Strict,
    /// <summary>Like OpenSSH's accept-new: an unknown host's key is added to known_hosts; a changed key is still refused.</summary>
    AcceptNew,
}

/// <summary>An SFTP server: where it is, who logs in, and how its host key is verified.</summary>
[ConnectionType("sftp", "An SFTP server (SSH.NET; many requests in flight per connection). host: demo starts a sandboxed sshd on 127.0.0.1 serving a generated demo site.")]
public sealed class SftpConnectionOptions
{
    /// <summary>Server name or address; "demo" starts the built-in demo server.</summary>
    [Option("Server name or address; \"demo\" starts the built-in demo server.", Required = true)]
    public string Host { get; init; } = "";

    /// <summary>SSH port.</summary>
    [Option("SSH port.", Min = 1, Max = 65535)]
    public int Port { get; init; } = 22;

    /// <summary>User name. Default: the current user.</summary>
    [Option("User name. Default: the current user.")]
    public string User { get; init; } = "";

    /// <summary>Private key file: ed25519, ecdsa or RSA (signed rsa-sha2-256/512), in OpenSSH, PEM or PuTTY format. ~ is your home folder.</summary>
    [Option("Private key file: ed25519, ecdsa or RSA (signed rsa-sha2-256/512), in OpenSSH, PEM or PuTTY format. ~ is your home folder.", IsPath = true)]
    public string Key { get; init; } = "";

    /// <summary>The key's passphrase, as env:NAME or file:PATH.</summary>
    [Option("The key's passphrase, as env:NAME or file:PATH.")]
    public Secret Passphrase { get; init; } = Secret.None;

    /// <summary>Password, as env:NAME or file:PATH (used when no key is given, or the key is refused).</summary>
    [Option("Password, as env:NAME or file:PATH (used when no key is given, or the key is refused).")]
    public Secret Password { get; init; } = Secret.None;

    /// <summary>known_hosts file to verify the host key against (hashed entries too). Default: ~/.ssh/known_hosts, your home folder's.</summary>
    [Option("known_hosts file to verify the host key against (hashed entries too). Default: ~/.ssh/known_hosts, your home folder's.", IsPath = true)]
    public string KnownHosts { get; init; } = "";

    /// <summary>Pinned host key fingerprint, as ssh-keygen -lf prints it (SHA256:...). Checked instead of known_hosts.</summary>
    [Option("Pinned host key fingerprint, as ssh-keygen -lf prints it (SHA256:...). Checked instead of known_hosts.")]
    public string Fingerprint { get; init; } = "";

    /// <summary>strict: the host key must be known; accept_new: learn an unknown host's key (a changed key is always refused).</summary>
    [Option("strict: the host key must be known; accept_new: learn an unknown host's key (a changed key is always refused).")]
    public HostKeyCheck HostKeyCheck { get; init; } = HostKeyCheck.Strict;

    /// <summary>Longest time to open a connection.</summary>
    [Option("Longest time to open a connection.")]
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest time one SFTP request may wait for the server's answer; then the connection counts as dead and is replaced.</summary>
    [Option("Longest time one SFTP request may wait for the server's answer; then the connection counts as dead and is replaced.")]
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Interval of SSH keepalives on every connection, so idle ones survive NATs and server timeouts (none: off).</summary>
    [Option("Interval of SSH keepalives on every connection, so idle ones survive NATs and server timeouts (none: off).")]
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>After a connection to the server has worked: how long a server that went away is waited for (new connections tried every second at most) before its items fail.</summary>
    [Option("After a connection to the server has worked: how long a server that went away is waited for (new connections tried every second at most) before its items fail.")]
    public TimeSpan ReconnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The host names the demo server (<see cref="SftpSandboxes"/>), not an address.</summary>
    public bool IsDemo => Host == SftpSandboxes.DemoHost;

    /// <summary>For messages: sftp://user@host:port (never a secret).</summary>
    public override string ToString() => $"sftp://{(User.Length > 0 ? User + "@" : "")}{Host}:{Port}";
}
