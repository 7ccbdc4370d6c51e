using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace QcPipeline.Cluster;

/// <summary>
/// Debian's nats-server with JetStream on 127.0.0.1 at a free port, its store in a folder of its own, for the
/// demo, the tests and the benchmarks (a real cluster runs its own servers). It can be killed and started again
/// on the same port and store, as a server restart would.
/// </summary>
public sealed class NatsServerProcess : IDisposable
{
    /// <summary>Where Debian installs nats-server; otherwise it is looked for on PATH.</summary>
    public const string DefaultPath = "/usr/sbin/nats-server";

    private readonly StringBuilder _log = new();
    private readonly bool _ownStore;
    private Process? _process;

    /// <summary>Starts a server at a free port; with no <paramref name="storeDirectory"/> it uses a temporary one, removed on dispose.</summary>
    public NatsServerProcess(string? storeDirectory = null, string binary = DefaultPath)
    {
        Binary = File.Exists(binary) ? binary : FindOnPath("nats-server")
            ?? throw new ClusterException($"{binary} not found: install Debian's nats-server (run.sh does)");
        _ownStore = storeDirectory is null;
        StoreDirectory = storeDirectory ?? Directory.CreateTempSubdirectory("qcpipeline-nats-").FullName;
        Port = FreePort();
        Start();
    }

    /// <summary>The nats-server executable in use.</summary>
    public string Binary { get; }
    /// <summary>The JetStream store, kept across <see cref="Kill"/> and <see cref="Start"/>.</summary>
    public string StoreDirectory { get; }
    /// <summary>The loopback port it listens on (the same after a restart).</summary>
    public int Port { get; private set; }
    /// <summary>The URL clients connect to.</summary>
    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>What the server wrote (for a failure message).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Starts the server (again, after <see cref="Kill"/>) on the same port and store.</summary>
    public void Start()
    {
        if (_process is { HasExited: false }) return;
        var info = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-a", "127.0.0.1", "-p", Port.ToString(), "-js", "-sd", StoreDirectory }) info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _process = p;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited) throw new ClusterException($"nats-server exited at start: {Log.Trim()}");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { Thread.Sleep(20); }
        }
        throw new ClusterException($"nats-server did not listen on {Url}: {Log.Trim()}");
    }

    /// <summary>Kills the server at once (SIGKILL), leaving its store as it was.</summary>
    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // it had exited already
        _process.WaitForExit(5000);
        _process.Dispose();
        _process = null;
    }

    /// <summary>Kills the server and removes its store if it made the store itself.</summary>
    public void Dispose()
    {
        Kill();
        // Our own scratch store: one left behind costs disk space, not correctness.
        if (_ownStore) try { Directory.Delete(StoreDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
