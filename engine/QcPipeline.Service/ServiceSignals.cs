using System.Runtime.InteropServices;

namespace QcPipeline.Service;

/// <summary>
/// SIGTERM (systemd, docker, CI) and Ctrl+C stop the server the same way: the first drains it (no new connections;
/// requests in flight answered, runs stopped, within the job's shutdown_timeout; outputs written), the second
/// abandons what is still in progress. A signal that comes before the server listens stops it as soon as it does.
/// </summary>
public sealed class ServiceSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Action<string> _log;
    private ServiceHost? _host;
    private int _signals;

    /// <summary>Takes SIGINT and SIGTERM from now on.</summary>
    public ServiceSignals(Action<string> log)
    {
        _log = log;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    /// <summary>The server the signals stop.</summary>
    public void Follow(ServiceHost host)
    {
        _host = host;
        if (Volatile.Read(ref _signals) >= 1) _ = host.StopAsync();
        if (Volatile.Read(ref _signals) >= 2) host.Abandon();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the server stops itself, and the process exits once its outputs are written
        var n = Interlocked.Increment(ref _signals);
        var name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl+C";
        if (n == 1)
        {
            _log($"{name}: draining: no new requests; requests and runs in progress get the job's shutdown_timeout (again to abandon them)");
            _ = _host?.StopAsync();
        }
        else if (n == 2)
        {
            _log($"{name}: abandoning what is still in progress (counted as cancelled); writing outputs");
            _host?.Abandon();
        }
    }

    /// <summary>Gives the signals back.</summary>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _registrations.Clear();
    }
}
