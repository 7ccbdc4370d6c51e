using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

/// <summary>Authentication, host keys and broken connections, each against its own sshd.</summary>
public sealed class ConnectionTests : IDisposable
{
    private readonly string _content = Directory.CreateTempSubdirectory("qc-ssh-").FullName;
    private readonly SshdSandbox _server;

    public ConnectionTests()
    {
        File.SetUnixFileMode(_content, (UnixFileMode)0b111_101_101);
        File.WriteAllBytes(Path.Combine(_content, "a.bin"), new byte[3 * 1024 * 1024]);
        _server = new SshdSandbox(_content);
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_content, recursive: true);
    }

    [Fact]
    public void A_wrong_password_fails_once_clearly_and_never_shows_the_password()
    {
        var settings = _server.Settings() with { PrivateKeyPath = null, Password = "Sup3r-secret-pw" };
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(settings));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.False(e.IsTransient, "authentication failures must not be retried");
        Assert.Contains($"{_server.User}@127.0.0.1:{_server.Port}", e.Message);
        Assert.DoesNotContain("Sup3r-secret-pw", e.ToString());
        Assert.DoesNotContain("Sup3r-secret-pw", settings.ToString());
    }

    [Fact]
    public void A_wrong_key_is_refused()
    {
        var other = Path.Combine(_server.Directory, "other_key");
        KeyGen("-t", "ed25519", "-N", "", "-f", other);
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(_server.Settings() with { PrivateKeyPath = other }));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains(other, e.Message);
    }

    [Fact]
    public void An_rsa_key_is_refused_with_the_reason()
    {
        var rsa = Path.Combine(_server.Directory, "rsa_key");
        KeyGen("-t", "rsa", "-b", "2048", "-N", "", "-f", rsa);
        File.AppendAllText(Path.Combine(_server.Directory, "authorized_keys"), File.ReadAllText(rsa + ".pub"));
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(_server.Settings() with { PrivateKeyPath = rsa }));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains("RSA", e.Message);
        Assert.Contains("ed25519", e.Message);
    }

    [Fact]
    public void A_key_with_a_passphrase_works_and_a_wrong_passphrase_is_an_error()
    {
        var key = Path.Combine(_server.Directory, "locked_key");
        KeyGen("-t", "ecdsa", "-N", "open sesame", "-f", key);
        File.AppendAllText(Path.Combine(_server.Directory, "authorized_keys"), File.ReadAllText(key + ".pub"));
        using (var client = SftpClient.Connect(_server.Settings() with { PrivateKeyPath = key, Passphrase = "open sesame" }))
            Assert.Equal(SftpEntryKind.File, client.Stat("a.bin").Kind);
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(_server.Settings() with { PrivateKeyPath = key, Passphrase = "wrong" }));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.DoesNotContain("open sesame", e.Message);
    }

    [Fact]
    public void A_changed_host_key_is_refused_with_both_fingerprints()
    {
        var known = _server.HostKeyFingerprint;
        _server.Kill();
        _server.ReplaceHostKeys();
        _server.Start();
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(_server.Settings()));
        Assert.Equal(SshErrorKind.HostKeyMismatch, e.Kind);
        Assert.False(e.IsTransient);
        Assert.Contains(known, e.Message);
        Assert.Contains(_server.ServerHostKeyFingerprint, e.Message);
        // accept-new does not accept a changed key either.
        var again = Assert.Throws<SshException>(() => SftpClient.Connect(_server.Settings() with { HostKeyPolicy = HostKeyPolicy.AcceptNew }));
        Assert.Equal(SshErrorKind.HostKeyMismatch, again.Kind);
    }

    [Fact]
    public void An_unknown_host_is_refused_unless_accept_new_which_learns_it()
    {
        var knownHosts = Path.Combine(_server.Directory, "fresh_known_hosts");
        var strict = _server.Settings() with { KnownHostsPath = knownHosts };
        Assert.Equal(SshErrorKind.HostKeyUnknown, Assert.Throws<SshException>(() => SftpClient.Connect(strict)).Kind);

        SftpClient.Connect(strict with { HostKeyPolicy = HostKeyPolicy.AcceptNew }).Dispose();
        Assert.Contains($"[127.0.0.1]:{_server.Port}", File.ReadAllText(knownHosts));
        using var client = SftpClient.Connect(strict); // now known
        Assert.True(client.IsConnected);
    }

    [Fact]
    public void Hashed_known_hosts_entries_are_honoured()
    {
        Run("ssh-keygen", "-q", "-H", "-f", _server.KnownHostsPath);
        Assert.StartsWith("|1|", File.ReadAllText(_server.KnownHostsPath));
        using var client = SftpClient.Connect(_server.Settings());
        Assert.Equal(_server.HostKeyFingerprint, client.HostKeyFingerprint);
    }

    [Fact]
    public void A_pinned_fingerprint_is_checked_instead_of_known_hosts()
    {
        var pinned = _server.Settings() with { KnownHostsPath = "/nonexistent", PinnedFingerprint = _server.HostKeyFingerprint };
        using (var client = SftpClient.Connect(pinned)) Assert.Equal(_server.HostKeyFingerprint, client.HostKeyFingerprint);
        var wrong = pinned with { PinnedFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(wrong));
        Assert.Equal(SshErrorKind.HostKeyMismatch, e.Kind);
        Assert.Contains("SHA256:AAAA", e.Message);
    }

    [Fact]
    public void A_refused_connection_is_transient_and_names_the_port()
    {
        var port = _server.Port;
        _server.Kill();
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(_server.Settings()));
        Assert.Equal(SshErrorKind.ConnectionRefused, e.Kind);
        Assert.True(e.IsTransient);
        Assert.Contains($":{port}", e.Message);
    }

    [Fact]
    public void A_silent_server_times_out_instead_of_hanging()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = _server.Settings() with { Port = ((IPEndPoint)silent.LocalEndpoint).Port, ConnectTimeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<SshException>(() => SftpClient.Connect(settings));
        Assert.True(e.Kind is SshErrorKind.Timeout or SshErrorKind.ConnectionRefused or SshErrorKind.ConnectionLost, e.Message);
        Assert.True(e.IsTransient);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the connect timeout bounds the wait");
    }

    [Fact]
    public void A_killed_server_breaks_the_connection_and_a_new_one_works_after_restart()
    {
        using var client = SftpClient.Connect(_server.Settings());
        using var stream = client.OpenRead("a.bin", 64 * 1024);
        stream.ReadExactly(new byte[1024]);
        _server.Kill();
        var e = Assert.ThrowsAny<SshException>(() => { var b = new byte[1 << 20]; while (stream.Read(b) > 0) { } client.Stat("a.bin"); });
        Assert.True(e.IsTransient, e.Message);
        Assert.False(client.IsConnected);
        _server.Start();
        using var again = SftpClient.Connect(_server.Settings());
        Assert.Equal(3 * 1024 * 1024, again.Stat("a.bin").Size);
    }

    [Fact]
    public void Abort_from_another_thread_breaks_a_call_in_progress()
    {
        using var client = SftpClient.Connect(_server.Settings());
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => client.Download("a.bin", Stream.Null, cancel.Token, 4096));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public void A_server_at_its_connection_limit_refuses_some_of_many_parallel_connections()
    {
        using var limited = new SshdSandbox(_content, maxStartups: 2);
        var results = new object[8];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            try { results[i] = SftpClient.Connect(limited.Settings()); }
            catch (SshException e) { results[i] = e; }
        });
        var opened = results.OfType<SftpClient>().ToList();
        var refused = results.OfType<SshException>().ToList();
        foreach (var c in opened) c.Dispose();
        Assert.NotEmpty(refused);
        Assert.All(refused, e => Assert.True(e.IsTransient && e.Kind == SshErrorKind.ConnectionRefused, e.Message));
        Assert.Contains("MaxStartups", refused[0].Message);
        using var later = SftpClient.Connect(limited.Settings()); // the limit is on connections in the handshake only
        Assert.True(later.IsConnected);
    }

    private static void KeyGen(params string[] args) => Run("ssh-keygen", ["-q", .. args]);

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}
