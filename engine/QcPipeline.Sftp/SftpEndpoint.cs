using System.Diagnostics;
using System.Runtime.CompilerServices;
using QcPipeline.Core.Stages;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>
/// A connection as the stages use it: the settings SSH.NET needs, with the demo server started (once per run,
/// shared by every stage naming the connection) when host is "demo" (see <see cref="SftpSandboxes"/>). Once a connection to the server has worked,
/// a server that goes away (no connection to it works any more) is waited for: new connections are tried with a
/// short backoff (100 ms doubling to 1 s) for up to reconnect_timeout, so an outage of T seconds costs the run
/// about T, not its items. A server that refuses a connection while others work is at its limit (MaxStartups):
/// that refusal is final, and the pool goes on with the connections it has.
/// </summary>
public sealed class SftpEndpoint : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly ISftpSandbox? _demo;
    private readonly TimeSpan _reconnectTimeout;
    private readonly object _gate = new();
    private bool _everConnected;
    private long _downSince; // Stopwatch timestamp of the first failed reconnect of the current outage (0: none)
    private int _opened;
    private readonly List<SftpConnection> _live = [];
    private SftpConnection? _offered, _handedOver;

    private SftpEndpoint(SftpConnectionSettings settings, string origin, ISftpSandbox? demo, TimeSpan reconnectTimeout)
    {
        Settings = settings; Origin = origin; _demo = demo; _reconnectTimeout = reconnectTimeout;
    }

    /// <summary>What every connection to this endpoint is opened with.</summary>
    public SftpConnectionSettings Settings { get; }

    /// <summary>sftp://user@host:port, naming where items came from.</summary>
    public string Origin { get; }

    /// <summary>Connections opened so far (by every stage using this endpoint).</summary>
    public int ConnectionsOpened => Volatile.Read(ref _opened);

    /// <summary>The run's one endpoint for <paramref name="options"/> (the same options object gets the same endpoint), created on first use.</summary>
    public static Task<SftpEndpoint> ForAsync(SftpConnectionOptions options, StageContext context, CancellationToken ct) =>
        context.Services.GetOrCreateAsync($"sftp-endpoint-{RuntimeHelpers.GetHashCode(options)}", _ => Task.FromResult(Create(options, context)), ct);

    private static SftpEndpoint Create(SftpConnectionOptions o, StageContext context)
    {
        var keepAlive = o.Keepalive > TimeSpan.Zero ? o.Keepalive : TimeSpan.Zero;
        if (o.IsDemo)
        {
            var sandbox = SftpSandboxes.StartDemo(context.Warn);
            return new SftpEndpoint(sandbox.Settings with { KeepAlive = keepAlive }, sandbox.Origin, sandbox, o.ReconnectTimeout);
        }
        var user = o.User.Length > 0 ? o.User : Environment.UserName;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var settings = new SftpConnectionSettings
        {
            Host = o.Host,
            Port = o.Port,
            User = user,
            PrivateKeyPath = o.Key.Length > 0 ? o.Key : null,
            Passphrase = o.Passphrase.HasValue ? o.Passphrase.Reveal() : null,
            Password = o.Password.HasValue ? o.Password.Reveal() : null,
            KnownHostsPath = o.KnownHosts.Length > 0 ? o.KnownHosts : Path.Combine(home, ".ssh", "known_hosts"),
            PinnedFingerprint = o.Fingerprint.Length > 0 ? o.Fingerprint : null,
            HostKeyPolicy = o.HostKeyCheck == HostKeyCheck.AcceptNew ? HostKeyPolicy.AcceptNew : HostKeyPolicy.Strict,
            ConnectTimeout = o.ConnectTimeout,
            OperationTimeout = o.OperationTimeout,
            KeepAlive = keepAlive,
        };
        return new SftpEndpoint(settings, $"sftp://{user}@{o.Host}:{o.Port}", null, o.ReconnectTimeout);
    }

    /// <summary>Opens a connection. The first one's error is final (a wrong password stays wrong); after one has
    /// worked, a server that cannot be reached is tried again with a short backoff until reconnect_timeout.</summary>
    public async Task<SftpConnection> ConnectAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                var connection = await SftpConnection.ConnectAsync(Settings, ct).ConfigureAwait(false);
                lock (_gate)
                {
                    _everConnected = true;
                    _downSince = 0;
                    _live.RemoveAll(c => !c.IsConnected);
                    _live.Add(connection);
                }
                Interlocked.Increment(ref _opened);
                return connection;
            }
            catch (SshException e) when (e.IsTransient && StillWaiting())
            {
                await Task.Delay(backoff, ct).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>Offers a connection already open (the listing's) to the first pool that needs one: that pool's first
    /// worker starts at once, without a connection of its own (about ten round trips and a key exchange).</summary>
    public void Offer(SftpConnection connection)
    {
        lock (_gate) _offered ??= connection;
    }

    /// <summary>The listing is done with its connection: if it is still offered, or was taken, the endpoint keeps the
    /// listing's share and closes it at the end of the run (true), so a pool that opens late still finds it.</summary>
    public bool HandOver(SftpConnection connection)
    {
        lock (_gate)
        {
            if (!connection.IsConnected || _handedOver is not null) return false;
            _handedOver = connection;
            return true;
        }
    }

    /// <summary>The offered connection, shared (once: later callers get null), or null.</summary>
    public SftpConnection? TakeOffered()
    {
        lock (_gate)
        {
            var offered = _offered is { IsConnected: true } c ? c.Share() : null;
            if (offered is not null) _offered = null;
            return offered;
        }
    }

    // Whether a failed connect is worth another try: only in an outage (a connection has worked, none works now),
    // within its window.
    private bool StillWaiting()
    {
        lock (_gate)
        {
            if (!_everConnected) return false;
            _live.RemoveAll(c => !c.IsConnected);
            if (_live.Count > 0) return false; // the server is up, and at its limit
            if (_downSince == 0) _downSince = Stopwatch.GetTimestamp();
            return Stopwatch.GetElapsedTime(_downSince) < _reconnectTimeout;
        }
    }

    /// <summary>Closes the connection handed over between stages and stops the demo server, if any.</summary>
    public void Dispose()
    {
        lock (_gate) _handedOver?.Dispose();
        _demo?.Dispose();
    }
}
