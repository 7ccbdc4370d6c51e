using System.Security.Cryptography;
using Renci.SshNet;
using Renci.SshNet.Common;
using RenciSshException = Renci.SshNet.Common.SshException;
using RenciSftpClient = Renci.SshNet.SftpClient;

namespace QcPipeline.Ssh;

/// <summary>
/// Opens an SSH.NET SFTP client as our users' OpenSSH would: the host key checked in HostKeyReceived against a
/// pinned fingerprint or known_hosts (asking first for the key type known_hosts holds), then a private key
/// (ed25519, ecdsa or RSA with rsa-sha2-256/512; OpenSSH, PEM or PuTTY format, passphrase optional) and/or a
/// password. Errors name user@host:port, never a secret.
/// </summary>
internal static class SshConnector
{
    public static async Task<T> ConnectAsync<T>(SftpConnectionSettings s, Func<RenciSftpClient, string, T> made, CancellationToken ct)
    {
        // With a pinned fingerprint we cannot tell which of the server's keys it names: take the server's first
        // choice and, on a mismatch, ask again for the key types not seen yet.
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        var seen = new List<string>();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try { return await ConnectOnceAsync(s, excluded, made, ct).ConfigureAwait(false); }
            catch (PinnedKeyMismatch m) when (excluded.Add(m.KeyType))
            {
                seen.Add($"{m.Fingerprint} ({m.KeyType})");
            }
            catch (SshException e) when (seen.Count > 0 && e.Kind is SshErrorKind.Protocol or SshErrorKind.ConnectionLost)
            {
                // The server has no key of the types left: none of its keys is the pinned one.
                throw new SshException(SshErrorKind.HostKeyMismatch,
                    $"{s.Where}: host key does not match the pinned fingerprint: expected {s.PinnedFingerprint}, the server offers {string.Join(" and ", seen)}. Refusing to connect", transient: false);
            }
        }
    }

    private sealed class PinnedKeyMismatch(string keyType, string fingerprint, SshException error) : Exception(error.Message)
    {
        public string KeyType { get; } = keyType;
        public string Fingerprint { get; } = fingerprint;
        public SshException Error { get; } = error;
    }

    private static async Task<T> ConnectOnceAsync<T>(SftpConnectionSettings s, HashSet<string> excluded, Func<RenciSftpClient, string, T> made, CancellationToken ct)
    {
        var (methods, keyProblem, authSummary) = Authentication(s);
        if (methods.Count == 0)
            throw new SshException(SshErrorKind.AuthenticationFailed, $"{s.Where}: authentication failed: {keyProblem ?? "no key or password given"}", transient: false);
        var info = new ConnectionInfo(s.Host, s.Port, s.User, [.. methods]) { Timeout = s.ConnectTimeout };
        var factories = info.HostKeyAlgorithms.ToList();
        info.HostKeyAlgorithms.Clear();
        foreach (var name in HostKeyCheck.Preference(factories.Select(f => f.Key), s, excluded))
            info.HostKeyAlgorithms.Add(name, factories.First(f => f.Key == name).Value);

        // AES-GCM first (OpenSSH offers it): one pass with the CPU's AES instructions, where AES-CTR with an HMAC
        // costs about twice the CPU per byte; the rest keep SSH.NET's order.
        foreach (var cipher in new[] { "aes256-gcm@openssh.com", "aes128-gcm@openssh.com" })
            if (info.Encryptions.Remove(cipher, out var gcm)) info.Encryptions.Insert(0, cipher, gcm);

        var client = new RenciSftpClient(info)
        {
            OperationTimeout = s.OperationTimeout,
            KeepAliveInterval = s.KeepAlive > TimeSpan.Zero ? s.KeepAlive : Timeout.InfiniteTimeSpan,
        };
        Exception? hostKeyProblem = null;
        string fingerprint = "";
        var identified = false;
        client.ServerIdentificationReceived += (_, _) => identified = true;
        client.HostKeyReceived += (_, e) =>
        {
            fingerprint = KnownHosts.Fingerprint(e.HostKey);
            var problem = HostKeyCheck.Verify(s, e.HostKeyName, e.HostKey);
            if (problem is not null && s.PinnedFingerprint is not null && info.HostKeyAlgorithms.Count > 1)
                hostKeyProblem = new PinnedKeyMismatch(HostKeyCheck.KeyTypeOf(e.HostKeyName), fingerprint, problem);
            else hostKeyProblem = problem;
            e.CanTrust = problem is null;
        };
        try
        {
            await client.ConnectAsync(ct).ConfigureAwait(false);
            return made(client, fingerprint);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Dispose(client);
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            if (hostKeyProblem is not null) throw hostKeyProblem;
            throw SshErrors.Connect(e, s.Where, identified, authSummary + (keyProblem is null ? "" : $" ({keyProblem})"));
        }
    }

    // The key is tried first, then the password, as ssh does. What goes wrong with the key file itself (missing,
    // wrong passphrase) is said in the end if the password does not get in either.
    private static (List<AuthenticationMethod> Methods, string? KeyProblem, string Summary) Authentication(SftpConnectionSettings s)
    {
        var methods = new List<AuthenticationMethod>();
        string? keyProblem = null;
        var tried = new List<string>();
        if (s.PrivateKeyPath is { } keyPath)
        {
            if (!File.Exists(keyPath)) keyProblem = $"private key {keyPath} does not exist";
            else
            {
                try
                {
                    methods.Add(new PrivateKeyAuthenticationMethod(s.User, new PrivateKeyFile(keyPath, s.Passphrase)));
                    tried.Add($"key {keyPath} was refused");
                }
                catch (SshPassPhraseNullOrEmptyException) { keyProblem = $"key {keyPath} is encrypted: give its passphrase"; }
                catch (Exception e) when (e is RenciSshException or CryptographicException or InvalidOperationException or FormatException
                                              or ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
                {
                    keyProblem = $"key {keyPath} could not be used (wrong passphrase or unsupported format: {SshErrors.OneLine(e.Message)})";
                }
            }
        }
        if (s.Password is { } password)
        {
            methods.Add(new PasswordAuthenticationMethod(s.User, password));
            tried.Add("password refused");
        }
        return (methods, keyProblem, string.Join("; ", tried));
    }

    private static void Dispose(RenciSftpClient client)
    {
        try { client.Dispose(); }
        catch (Exception e) when (e is RenciSshException or ObjectDisposedException or IOException) { }
    }
}
