using System.CommandLine;
using System.Runtime.InteropServices;
using QcPipeline.Cluster;
using QcPipeline.Core.Jobs;
using QcPipeline.Telemetry;

namespace QcPipeline.Cli;

/// <summary>`qcpipeline worker --cluster nats://HOST:4222`: runs the distributed stages of every job a coordinator
/// announces there, until Ctrl+C or SIGTERM (items in progress get the job's shutdown_timeout; items held but not
/// started go back to the queue for another worker).</summary>
public static class WorkerCommand
{
    /// <summary>The command, for the command line.</summary>
    public static Command Create()
    {
        var url = new Option<string>("--cluster") { Description = "The NATS server, e.g. nats://HOST:4222.", Required = true };
        var id = new Option<string?>("--id") { Description = "This worker's name in logs, traces and run.json (default: HOST-PID)." };
        var capacity = new Option<int?>("--capacity") { Description = "Items held at once, at most (default: what the job's distributed stages work on at once)." };
        var command = new Command("worker", "Run the distributed stages of cluster jobs (see the README's scale-out section).") { url, id, capacity };
        command.SetAction(async (parse, _) =>
        {
            var address = parse.GetValue(url)!;
            if (!ClusterUrl.IsValid(address, out var problem)) { Console.Error.WriteLine($"qcpipeline: --cluster: {problem}"); return ExitCodes.Invalid; }
            if (parse.GetValue(capacity) is < 1) { Console.Error.WriteLine("qcpipeline: --capacity: at least 1"); return ExitCodes.Invalid; }
            var console = new ConsoleOutput();
            var settings = new WorkerSettings
            {
                Registry = StageCatalog.Create(), Capacity = parse.GetValue(capacity), Log = console.Info,
                Telemetry = job => StartTelemetry(job, console),
            };
            if (parse.GetValue(id) is { Length: > 0 } name) settings = settings with { Id = name };
            return await RunAsync(address, settings);
        });
        return command;
    }

    /// <summary>Runs a worker until the first Ctrl+C or SIGTERM.</summary>
    public static async Task<int> RunAsync(string url, WorkerSettings settings)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            await new ClusterWorker(url, settings).RunAsync(stop.Token);
            return ExitCodes.Success;
        }
        catch (ClusterException e)
        {
            Console.Error.WriteLine($"qcpipeline: {e.Message}");
            return ExitCodes.RunFailed;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    // The job's traces export from the worker too (to its OTLP endpoint, or this machine's OTEL_* settings), under
    // the coordinator's trace; a trace file is the coordinator's alone.
    private static IDisposable StartTelemetry(JobDefinition job, ConsoleOutput console)
    {
        var t = job.Section<TelemetryExportOptions>();
        var export = new TelemetryExportOptions { Metrics = t.Metrics, Endpoint = t.Endpoint, Protocol = t.Protocol, ServiceName = t.ServiceName, TraceFile = "" };
        return TelemetrySession.Start(job.Options.Telemetry, export, job.Name, console.Warn);
    }
}
