using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>Who a worker is and what it can run.</summary>
public sealed record WorkerSettings
{
    /// <summary>The stage types (and wire item types) this worker's program knows.</summary>
    public required StageRegistry Registry { get; init; }

    /// <summary>Its name in logs, spans and run.json (default: host-pid).</summary>
    public string Id { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>The machine it runs on, as reported to coordinators (default: the machine name).</summary>
    public string Host { get; init; } = Environment.MachineName;

    /// <summary>Items it holds at once, at most (null: what the job's distributed stages can work on at once).</summary>
    public int? Capacity { get; init; }

    /// <summary>Where each run's working files go (a folder per run, removed after it).</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "qcpipeline-worker");

    /// <summary>Starts the job's telemetry for one run (traces export from here too); null: none.</summary>
    public Func<JobDefinition, IDisposable?>? Telemetry { get; init; }

    /// <summary>One line for the operator (stderr).</summary>
    public Action<string> Log { get; init; } = Console.Error.WriteLine;
}
