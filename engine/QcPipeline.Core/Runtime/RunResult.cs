using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>How a run ended, in the order the exit code cares about.</summary>
public enum RunOutcome
{
    /// <summary>Every item ended, failures (if any) within the error budget.</summary>
    Succeeded,
    /// <summary>More items failed than the error budget allows, or a stage with on_error: fail failed.</summary>
    ItemsFailed,
    /// <summary>The run could not go on (e.g. a source could not start).</summary>
    Failed,
    /// <summary>Stopped by the user (Ctrl+C).</summary>
    Cancelled,
}

/// <summary>One source item that did not end as processed.</summary>
public sealed record ItemReport(string Item, string State, string? Stage, string? Reason, int Attempts);

/// <summary>One row of the per-stage table.</summary>
public sealed record StageReport(string Name, string Type, int Workers, int Capacity, long In, long Out, long Failed,
    long Skipped, long PassedThrough, double BusyMs, double MeanMs, double P95Ms, double Utilisation, double BlockedMs, long Bytes, long Cached);

/// <summary>Everything a run produced besides its outputs: written to run.json and printed.</summary>
public sealed class RunResult
{
    /// <summary>The job's name.</summary>
    public required string Job { get; init; }
    /// <summary>Where its outputs are.</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>When it started.</summary>
    public required DateTimeOffset Started { get; init; }
    /// <summary>How long it ran.</summary>
    public required TimeSpan Duration { get; init; }
    /// <summary>How it ended.</summary>
    public required RunOutcome Outcome { get; init; }
    /// <summary>Why it did not succeed (null when it did).</summary>
    public string? Error { get; init; }
    /// <summary>Source items produced.</summary>
    public required long Produced { get; init; }
    /// <summary>Items that reached the end of every branch.</summary>
    public required long Processed { get; init; }
    /// <summary>Items a stage failed on.</summary>
    public required long Failed { get; init; }
    /// <summary>Items a stage skipped.</summary>
    public required long Skipped { get; init; }
    /// <summary>Items the run stopped or gave up before they were done.</summary>
    public required long Cancelled { get; init; }
    /// <summary>The per-stage table.</summary>
    public required IReadOnlyList<StageReport> Stages { get; init; }
    /// <summary>Every item that did not end processed.</summary>
    public required IReadOnlyList<ItemReport> Unsuccessful { get; init; }
    /// <summary>Warnings, each once.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
    /// <summary>The kept timeline entries (see outputs.timeline_limit).</summary>
    public required IReadOnlyList<TimelineEntry> Timeline { get; init; }
    /// <summary>True when the timeline is a sample of the run's items.</summary>
    public bool TimelineTruncated { get; init; }
    /// <summary>The job's trace, when traced.</summary>
    public string? TraceId { get; init; }

    /// <summary>Further top-level sections of run.json, by key (e.g. the workers that took part, from the executor that ran stages elsewhere).</summary>
    public IReadOnlyDictionary<string, object> Sections { get; init; } = new Dictionary<string, object>();

    /// <summary>This result with one more run.json section.</summary>
    public RunResult With(string section, object value)
    {
        var sections = new Dictionary<string, object>(Sections) { [section] = value };
        return new RunResult
        {
            Job = Job, OutputDirectory = OutputDirectory, Started = Started, Duration = Duration, Outcome = Outcome, Error = Error,
            Produced = Produced, Processed = Processed, Failed = Failed, Skipped = Skipped, Cancelled = Cancelled, Stages = Stages,
            Unsuccessful = Unsuccessful, Warnings = Warnings, Timeline = Timeline, TimelineTruncated = TimelineTruncated,
            TraceId = TraceId, Sections = sections,
        };
    }

    /// <summary>The invariant the engine keeps: every produced item ended in exactly one state.</summary>
    public bool CountsAddUp => Produced == Processed + Failed + Skipped + Cancelled;

    /// <summary>The exit code of a cancelled run: 128 + SIGINT, as shells report a command stopped by Ctrl+C.</summary>
    public const int CancelledExitCode = 130;

    /// <summary>0 success; 1 items failed beyond the budget or the run failed; 130 cancelled.</summary>
    public int ExitCode => Outcome switch
    {
        RunOutcome.Succeeded => 0,
        RunOutcome.Cancelled => CancelledExitCode,
        _ => 1,
    };
}
