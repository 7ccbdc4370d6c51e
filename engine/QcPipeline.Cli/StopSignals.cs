using System.Runtime.InteropServices;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM, which systemd, docker and CI send, stop a run the same way: the first stops
/// the sources and lets items in progress finish within shutdown_timeout; the second abandons them. Once the
/// run has ended and its outputs are being written, further signals are refused until the last byte is
/// written (then this is disposed), so the summary, run.json and report.html are never cut off.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly ConsoleOutput _console;
    private readonly string _grace;
    private PipelineRunner? _runner;
    private int _signals;
    private volatile bool _finishing;

    public StopSignals(ConsoleOutput console, TimeSpan shutdownTimeout)
    {
        _console = console;
        _grace = Core.Options.Duration.Format(shutdownTimeout);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    /// <summary>The run that signals stop (signals before it exists stop it as soon as it is given).</summary>
    public void Follow(PipelineRunner runner)
    {
        _runner = runner;
        if (Volatile.Read(ref _signals) >= 1) runner.Stop(StopReason);
        if (Volatile.Read(ref _signals) >= 2) runner.Abandon();
    }

    /// <summary>True once a signal asked the run to stop.</summary>
    public bool Stopped => Volatile.Read(ref _signals) > 0;

    private string StopReason => "stopped by a signal (Ctrl+C or SIGTERM)";

    /// <summary>The run has ended: from now on signals wait for the outputs to be written.</summary>
    public void Finishing() => _finishing = true;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we stop the run ourselves; the process exits normally, with its outputs
        var n = Interlocked.Increment(ref _signals);
        var name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl+C";
        if (_finishing)
        {
            _console.Info($"{name}: writing the run's outputs, a moment please");
            return;
        }
        if (n == 1)
        {
            _console.Info($"{name}: stopping: no new items; items in progress get {_grace} (Ctrl+C again to abandon them)");
            _runner?.Stop(StopReason);
        }
        else if (n == 2)
        {
            _console.Info($"{name}: abandoning the items in progress (they are counted as cancelled)");
            _runner?.Abandon();
        }
    }

    /// <summary>Gives the signals back to their default (after the last byte is written).</summary>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _registrations.Clear();
    }
}
