using QcPipeline.Core.Runtime;

namespace QcPipeline.Service.Runs;

/// <summary>
/// One batch run started through the API: its state, live counts while it runs (from the runner), and once it has
/// ended a small summary (the runner and its result are let go, so finished runs cost little memory).
/// </summary>
public sealed class ServiceRun
{
    /// <summary>Failures kept for the page and GET /v1/runs/{id}, the latest.</summary>
    public const int KeptFailures = 20;

    private readonly Queue<object> _failures = new();
    private PipelineRunner? _runner;
    private object? _final;

    internal ServiceRun(string id, string job, IReadOnlyList<string> overrides, string outputDirectory, PipelineRunner runner)
    {
        Id = id; Job = job; Overrides = overrides; OutputDirectory = outputDirectory; _runner = runner;
    }

    /// <summary>Its id: time, job and a sequence number.</summary>
    public string Id { get; }
    /// <summary>The job's name.</summary>
    public string Job { get; }
    /// <summary>The --set overrides it was started with.</summary>
    public IReadOnlyList<string> Overrides { get; }
    /// <summary>Its output folder.</summary>
    public string OutputDirectory { get; }
    /// <summary>When it started.</summary>
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;
    /// <summary>When it ended and its outputs were written.</summary>
    public DateTimeOffset? Ended { get; private set; }

    private RunState _state = RunState.Running;

    /// <summary>running, cancelling, then succeeded, items_failed, failed or cancelled (the API's names).</summary>
    public string State => Name(_state);

    /// <summary>True once the run has ended and its outputs are written.</summary>
    public bool IsDone => Ended is not null;

    /// <summary>Completes when the run has ended and its outputs are written.</summary>
    public Task Completion { get; internal set; } = Task.CompletedTask;

    /// <summary>Where its report is, once written.</summary>
    public string ReportPath => Path.Combine(OutputDirectory, OutputFiles.Report);

    internal PipelineRunner? Runner => _runner;

    /// <summary>Stops it: no new items, those in progress get the job's shutdown_timeout; outputs are written.</summary>
    internal bool Cancel(string reason)
    {
        var runner = _runner;
        if (runner is null || IsDone) return false;
        _state = RunState.Cancelling;
        runner.Stop(reason);
        return true;
    }

    internal void Abandon() => _runner?.Abandon();

    internal object NoteFailure(RootItem item)
    {
        var failure = new { Item = item.Key, item.Failure?.Stage, Reason = item.Failure?.Reason, Run = Id };
        lock (_failures)
        {
            _failures.Enqueue(failure);
            while (_failures.Count > KeptFailures) _failures.Dequeue();
        }
        return failure;
    }

    internal void End(RunResult result)
    {
        _state = result.Outcome switch
        {
            RunOutcome.Succeeded => RunState.Succeeded,
            RunOutcome.ItemsFailed => RunState.ItemsFailed,
            RunOutcome.Cancelled => RunState.Cancelled,
            _ => RunState.Failed,
        };
        var stages = result.Stages.Select(s => new StageRow(s.Name, s.Type, s.Workers, s.In, s.Out, s.Failed, 0)).ToList();
        _final = new
        {
            Expected = result.Produced, result.Produced, Done = result.Processed + result.Failed + result.Skipped + result.Cancelled,
            result.Processed, result.Failed, result.Skipped, result.Cancelled, result.Error, Stages = stages,
            Seconds = Math.Round(result.Duration.TotalSeconds, 2),
        };
        Ended = DateTimeOffset.UtcNow;
        _runner = null;
    }

    internal void EndWithError(string error)
    {
        _state = RunState.Failed;
        _final = new { Error = error };
        Ended = DateTimeOffset.UtcNow;
        _runner = null;
    }

    private enum RunState { Running, Cancelling, Succeeded, ItemsFailed, Failed, Cancelled }

    private static string Name(RunState s) => s switch
    {
        RunState.Running => "running", RunState.Cancelling => "cancelling", RunState.Succeeded => "succeeded",
        RunState.ItemsFailed => "items_failed", RunState.Cancelled => "cancelled", _ => "failed",
    };

    /// <summary>A stage's counts as the API shows them.</summary>
    public sealed record StageRow(string Name, string Type, int Workers, long In, long Out, long Failed, int Queue);

    /// <summary>Where it stands, as GET /v1/runs/{id} and the events show it.</summary>
    public object Snapshot()
    {
        object[] failures;
        lock (_failures) failures = [.. _failures];
        var links = new { Self = $"/v1/runs/{Id}", Events = $"/v1/runs/{Id}/events", Report = $"/v1/runs/{Id}/report" };
        if (_final is { } final)
            return new { Id, Job, State, Started, Ended, Overrides, Counts = final, Failures = failures, Links = links };
        var r = _runner;
        var counts = r is null ? null : new
        {
            r.Expected, r.Produced, r.Done, r.Failed,
            Stages = r.Stages.Select(s => new StageRow(s.Name, s.Type, s.Workers, s.In, s.Out, s.Failed, s.QueueDepth())).ToList(),
            Seconds = Math.Round((DateTimeOffset.UtcNow - Started).TotalSeconds, 2),
        };
        return new { Id, Job, State, Started, Ended, Overrides, Counts = counts, Failures = failures, Links = links };
    }

    /// <summary>What changes as it runs (progress is sent when this has changed).</summary>
    internal (long, long, long, long) Progress() =>
        _runner is { } r ? (r.Produced, r.Done, r.Failed, r.Stages.Sum(s => s.In)) : (-1, -1, -1, -1);
}
