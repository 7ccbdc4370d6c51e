using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using QcPipeline.Demo;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

/// <summary>Authentication, host keys and broken connections, each against its own sshd (OpenSSH's default algorithms).</summary>
public sealed class ConnectionTests : IDisposable
{
    private readonly SshdSite _site = new(content => File.WriteAllBytes(Path.Combine(content, "a.bin"), new byte[3 * 1024 * 1024]), prefix: "qc-ssh-");
    private string Content => _site.Content;
    private SshdSandbox Server => _site.Server;

    public void Dispose() => _site.Dispose();

    private Task<SftpConnection> Connect(SftpConnectionSettings settings) => SftpConnection.ConnectAsync(settings);

    [Fact]
    public async Task A_wrong_password_fails_once_clearly_and_never_shows_the_password()
    {
        var settings = Server.Settings() with { PrivateKeyPath = null, Password = "Sup3r-secret-pw" };
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(settings));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.False(e.IsTransient, "authentication failures must not be retried");
        Assert.Contains($"{Server.User}@127.0.0.1:{Server.Port}", e.Message);
        Assert.Contains("password refused", e.Message);
        Assert.DoesNotContain("Sup3r-secret-pw", e.ToString());
        Assert.DoesNotContain("Sup3r-secret-pw", settings.ToString());
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_named()
    {
        var other = Path.Combine(Server.Directory, "other_key");
        KeyGen("-t", "ed25519", "-N", "", "-f", other);
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings() with { PrivateKeyPath = other }));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains(other, e.Message);
    }

    [Theory]
    [InlineData("rsa", 3072)]  // the key most users have: signed rsa-sha2-512/256, as OpenSSH >= 8.8 requires
    [InlineData("rsa", 2048)]
    [InlineData("ed25519", 0)]
    [InlineData("ecdsa", 256)]
    [InlineData("ecdsa", 521)]
    public async Task A_key_of_each_common_type_logs_in_against_OpenSSH_defaults(string type, int bits)
    {
        var key = Server.NewClientKey($"{type}{bits}_key", type, bits);
        using var client = await Connect(Server.Settings() with { PrivateKeyPath = key });
        Assert.Equal(SftpEntryKind.File, (await client.StatAsync("a.bin")).Entry.Kind);
    }

    [Fact]
    public async Task A_PEM_RSA_key_works_too()
    {
        var key = Server.NewClientKey("pem_rsa", "rsa", 3072);
        KeyGen("-p", "-m", "PEM", "-N", "", "-P", "", "-f", key); // rewrite as "BEGIN RSA PRIVATE KEY"
        Assert.Contains("BEGIN RSA PRIVATE KEY", File.ReadAllText(key));
        using var client = await Connect(Server.Settings() with { PrivateKeyPath = key });
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task A_key_with_a_passphrase_works_and_a_wrong_or_missing_passphrase_is_an_error()
    {
        var key = Server.NewClientKey("locked_key", "ecdsa", passphrase: "open sesame");
        using (var client = await Connect(Server.Settings() with { PrivateKeyPath = key, Passphrase = "open sesame" }))
            Assert.Equal(SftpEntryKind.File, (await client.StatAsync("a.bin")).Entry.Kind);
        var wrong = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings() with { PrivateKeyPath = key, Passphrase = "wrong" }));
        Assert.Equal(SshErrorKind.AuthenticationFailed, wrong.Kind);
        Assert.Contains(key, wrong.Message);
        Assert.DoesNotContain("open sesame", wrong.Message);
        var none = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings() with { PrivateKeyPath = key }));
        Assert.Contains("passphrase", none.Message);
    }

    [Fact]
    public async Task A_refused_key_falls_back_to_the_password()
    {
        var other = Path.Combine(Server.Directory, "stranger_key");
        KeyGen("-t", "ed25519", "-N", "", "-f", other);
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings() with { PrivateKeyPath = other, Password = "not-it" }));
        Assert.Equal(SshErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains("password refused", e.Message);
        Assert.Contains(other, e.Message);
    }

    [Fact]
    public async Task A_changed_host_key_is_refused_with_both_fingerprints()
    {
        var known = Server.HostKeyFingerprint;
        Server.Kill();
        Server.ReplaceHostKeys();
        Server.Start();
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings()));
        Assert.Equal(SshErrorKind.HostKeyMismatch, e.Kind);
        Assert.False(e.IsTransient);
        Assert.Contains("HOST KEY CHANGED", e.Message);
        Assert.Contains(known, e.Message);
        Assert.Contains(Server.ServerHostKeyFingerprint, e.Message);
        // accept-new does not accept a changed key either.
        var again = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings() with { HostKeyPolicy = HostKeyPolicy.AcceptNew }));
        Assert.Equal(SshErrorKind.HostKeyMismatch, again.Kind);
    }

    [Fact]
    public async Task An_unknown_host_is_refused_unless_accept_new_which_learns_it()
    {
        var knownHosts = Path.Combine(Server.Directory, "fresh", "known_hosts");
        var strict = Server.Settings() with { KnownHostsPath = knownHosts };
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(strict));
        Assert.Equal(SshErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains("accept_new", e.Message);

        (await Connect(strict with { HostKeyPolicy = HostKeyPolicy.AcceptNew })).Dispose();
        Assert.Contains($"[127.0.0.1]:{Server.Port}", File.ReadAllText(knownHosts));
        using var client = await Connect(strict); // now known
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Hashed_known_hosts_entries_are_honoured()
    {
        Run("ssh-keygen", "-q", "-H", "-f", Server.KnownHostsPath);
        Assert.StartsWith("|1|", File.ReadAllText(Server.KnownHostsPath));
        using var client = await Connect(Server.Settings());
        Assert.Equal(Server.HostKeyFingerprint, client.HostKeyFingerprint);
    }

    [Fact]
    public async Task A_pinned_fingerprint_is_checked_instead_of_known_hosts_whichever_key_the_server_prefers()
    {
        var pinned = Server.Settings() with { KnownHostsPath = "/nonexistent", PinnedFingerprint = Server.HostKeyFingerprint };
        using (var client = await Connect(pinned)) Assert.Equal(Server.HostKeyFingerprint, client.HostKeyFingerprint);
        var wrong = pinned with { PinnedFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(wrong));
        Assert.Equal(SshErrorKind.HostKeyMismatch, e.Kind);
        Assert.Contains("SHA256:AAAA", e.Message);
        Assert.Contains(Server.HostKeyFingerprint, e.Message); // every key the server has was looked at
    }

    [Fact]
    public async Task A_refused_connection_is_transient_and_names_the_port()
    {
        var port = Server.Port;
        Server.Kill();
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(Server.Settings()));
        Assert.Equal(SshErrorKind.ConnectionRefused, e.Kind);
        Assert.True(e.IsTransient);
        Assert.Contains($":{port}", e.Message);
    }

    [Fact]
    public async Task A_silent_server_times_out_instead_of_hanging()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = Server.Settings() with { Port = ((IPEndPoint)silent.LocalEndpoint).Port, ConnectTimeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SshException>(() => Connect(settings));
        Assert.True(e.Kind is SshErrorKind.Timeout or SshErrorKind.ConnectionRefused or SshErrorKind.ConnectionLost, e.Message);
        Assert.True(e.IsTransient);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the connect timeout bounds the wait");
    }

    [Fact]
    public async Task A_killed_server_fails_every_request_in_flight_at_once_and_a_new_connection_works_after_restart()
    {
        using var client = await Connect(Server.Settings());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var downloads = Enumerable.Range(0, 16).Select(async _ =>
        {
            await gate.Task;
            return await client.DownloadAsync("a.bin", Stream.Null);
        }).ToList();
        gate.SetResult();
        while (client.InFlight < 8 && !downloads.All(d => d.IsCompleted)) await Task.Delay(1);
        Server.Kill();
        var outcomes = await Task.WhenAll(downloads.Select(async d => { try { await d; return null; } catch (SshException e) { return e; } }));
        Assert.Contains(outcomes, o => o is not null);
        Assert.All(outcomes.OfType<SshException>(), e => Assert.True(e.IsTransient && e.ConnectionBroken, e.Message));
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<SshException>(() => client.StatAsync("a.bin"));
        Server.Start();
        using var again = await Connect(Server.Settings());
        Assert.Equal(3 * 1024 * 1024, (await again.StatAsync("a.bin")).Entry.Size);
    }

    [Fact]
    public async Task A_connection_closed_under_many_requests_fails_those_in_flight_with_connection_lost_and_nothing_else()
    {
        // What a pool does with a connection it found dead: it closes it while other users still have reads and
        // closes in flight. SSH.NET's torn-down session then fails them with whatever it hits (its channel gone, its
        // wait handles disposed); each must come out as the typed connection loss. (A call begun once the close is
        // done is a misuse, and says so: "disposed".)
        var odd = new List<Exception>();
        void See(Exception? e)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            if (e is not null and not SshException { Kind: SshErrorKind.ConnectionLost, IsTransient: true }
                and not ObjectDisposedException { ObjectName: "QcPipeline.Ssh.SftpConnection" }) lock (odd) odd.Add(e);
        }
        for (var round = 0; round < 40; round++)
        {
            var client = await Connect(Server.Settings());
            var files = new List<RemoteFile>();
            for (var i = 0; i < 8; i++) files.Add(await client.OpenAsync("a.bin", 4096));
            using var stop = new CancellationTokenSource();
            var users = Enumerable.Range(0, 6).Select(u => Task.Run(async () =>
            {
                for (var n = u; !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        if (n % 2 == 0) client.CloseLater([1, 2, 3, 4]); // a close, sent without waiting
                        else _ = files[n % files.Count].ReadAtAsync(n % 1000 * 100, 100).ContinueWith(t => See(t.Exception), TaskScheduler.Default);
                    }
                    catch (Exception e) { See(e); }
                    if (n % 32 == 0) await Task.Yield();
                }
            })).ToList();
            await Task.Delay(20 + round % 7);
            client.Dispose();
            await Task.Delay(20);
            stop.Cancel();
            await Task.WhenAll(users);
        }
        await Task.Delay(200); // the last reads' failures
        lock (odd) Assert.True(odd.Count == 0, $"{odd.Count} requests failed otherwise ({string.Join(", ", odd.GroupBy(e => (e.InnerException ?? e).GetType().Name).Select(g => $"{g.Key} x{g.Count()}"))}), e.g.:\n{string.Join("\n", odd.Select(e => e.ToString()).Distinct().Take(4))}");
    }

    [Fact]
    public async Task Abort_from_another_thread_breaks_calls_in_progress()
    {
        using var client = await Connect(Server.Settings());
        var download = client.DownloadAsync("a.bin", new SlowStream());
        client.Abort();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => download);
        Assert.True(e is SshException { IsTransient: true } or OperationCanceledException, e.ToString());
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task A_server_at_its_connection_limit_refuses_some_of_many_parallel_connections()
    {
        using var limited = new SshdSandbox(Content, maxStartups: 2);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            try { return (object)await Connect(limited.Settings()); }
            catch (SshException e) { return e; }
        }));
        var opened = results.OfType<SftpConnection>().ToList();
        var refused = results.OfType<SshException>().ToList();
        foreach (var c in opened) c.Dispose();
        Assert.NotEmpty(refused);
        Assert.All(refused, e => Assert.True(e.IsTransient && e.Kind == SshErrorKind.ConnectionRefused, e.Message));
        Assert.Contains("MaxStartups", refused[0].Message);
        using var later = await Connect(limited.Settings()); // the limit is on connections in the handshake only
        Assert.True(later.IsConnected);
    }

    // A destination that takes its time, so a download is surely still running when it is aborted.
    private sealed class SlowStream : MemoryStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => await Task.Delay(50, ct);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.Delay(50, ct);
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
