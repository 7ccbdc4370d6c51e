using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// Stands in for a run of stages executed elsewhere (<see cref="ISegmentExecutor"/>): each item that reaches
/// the run's entry is handed to the executor, at most MaxOutstanding at once, and its outcome is sent on from
/// the run's exit. The accounting, the stages' on_error, their per-stage counters and the timeline stay here.
/// </summary>
internal sealed class RemoteNode : NodeRuntime
{
    private readonly ISegmentExecutor _executor;
    private readonly Dictionary<string, (GraphNode Node, int Index, StageStats Stats)> _stages;
    private long _requests;

    public RemoteNode(RunScope run, ISegmentExecutor executor, IReadOnlyList<GraphNode> graph, IReadOnlyList<StageStats> stats)
        : base(run, executor.Segment.Entry, graph.ToList().IndexOf(executor.Segment.Entry), stats[graph.ToList().IndexOf(executor.Segment.Entry)])
    {
        _executor = executor;
        _stages = executor.Segment.Nodes.ToDictionary(n => n.Name, n => { var i = graph.ToList().IndexOf(n); return (n, i, stats[i]); }, StringComparer.Ordinal);
    }

    public GraphSegment Segment => _executor.Segment;

    protected override int Parallelism => Math.Max(1, _executor.MaxOutstanding);

    public override Task StartAsync(CancellationToken ct) => _executor.StartAsync(new SegmentRun(Run), ct);

    public override async Task StopAsync()
    {
        try { await _executor.StopAsync().ConfigureAwait(false); }
        catch (Exception e) { Run.Warn($"{Segment.Label}: stopping failed: {Describe(e)}"); }
    }

    /// <summary>The run stops: the executor tells the other side.</summary>
    public void Stopping() => _executor.Stopping();

    protected override async Task HandleAsync(Envelope e)
    {
        if (!e.IsOk) { await PassOnAsync(e).ConfigureAwait(false); return; }
        if (Run.Stopping.IsCancellationRequested) { Stats.Seen(); Cancel(e); return; }
        var t0 = Stopwatch.GetTimestamp();
        using var span = StartSpan(e);
        var request = new SegmentRequest(Interlocked.Increment(ref _requests), e.Key, e.Value!, span?.Context ?? Trace.ParentOf(e));
        SegmentOutcome outcome;
        try { outcome = await _executor.ExecuteAsync(request, Run.Abandoned).ConfigureAwait(false); }
        catch (Exception) when (Run.Abandoned.IsCancellationRequested) { outcome = SegmentOutcome.Cancelled; }
        catch (Exception ex) { outcome = SegmentOutcome.Failing(new Failure(Segment.Entry.Name, e.Key, Describe(ex), 1)); }
        Account(e, outcome, t0);
        span?.SetTag(PipelineTelemetry.OutcomeTag, outcome.End.ToString().ToLowerInvariant());
        switch (outcome.End)
        {
            case SegmentEnd.Cancelled:
                if (outcome.Steps.Count == 0) Stats.Seen();
                Cancel(e);
                return;
            case SegmentEnd.Processed when outcome.Value is { } value:
                e.Value = value;
                e.Key = value.Key;
                // A part failed or was skipped there while the result carries on: the item is counted so, as locally.
                if (outcome.Failure is { } partFailed) ApplyFailure(e, partFailed, StageOf(partFailed));
                if (outcome.SkipReason is { } partSkipped) Run.Ledger.RecordSkip(e.Root, partSkipped);
                break;
            case SegmentEnd.Skipped:
                Run.Ledger.RecordSkip(e.Root, outcome.SkipReason ?? "skipped");
                e.Skip(outcome.SkipReason ?? "skipped");
                break;
            default:
                var failure = outcome.Failure ?? new Failure(Segment.Entry.Name, e.Key, "came back with no result", 1);
                if (outcome.Steps.Count == 0) Stats.FailedOne(); // the failure happened before any stage ran it
                ApplyFailure(e, failure, StageOf(failure));
                e.Fail(failure);
                span?.SetStatus(ActivityStatusCode.Error, failure.Reason);
                break;
        }
        e.Span = outcome.Span != default ? outcome.Span : span?.Context ?? default;
        await EmitAsync(e).ConfigureAwait(false);
    }

    private GraphNode StageOf(Failure f) => _stages.TryGetValue(f.Stage, out var s) ? s.Node : Segment.Entry;

    private Activity? StartSpan(Envelope e)
    {
        if (!Run.TracesOn || !e.Root.Traced) return null;
        var span = PipelineTelemetry.Source.StartActivity(Segment.Label, ActivityKind.Producer, Trace.ParentOf(e));
        span?.SetTag(PipelineTelemetry.StageTag, Segment.Label);
        span?.SetTag(PipelineTelemetry.ItemTag, e.Key);
        span?.SetTag(PipelineTelemetry.RootTag, e.Root.Key);
        return span;
    }

    // The stages' counters and timeline, from what the item's steps there were (laid out to end when it came back).
    private void Account(Envelope e, SegmentOutcome outcome, long t0)
    {
        var endMs = Run.ElapsedMs(Stopwatch.GetTimestamp());
        var startMs = Math.Max(Run.ElapsedMs(t0), endMs - outcome.Steps.Sum(s => s.Ms));
        foreach (var step in outcome.Steps)
        {
            if (!_stages.TryGetValue(step.Stage, out var s)) continue;
            s.Stats.Seen(); s.Stats.Started();
            s.Stats.Record((long)(step.Ms * Stopwatch.Frequency / 1000.0));
            switch (step.Outcome)
            {
                case StepOutcome.Ok: s.Stats.Succeeded(); break;
                case StepOutcome.Failed: s.Stats.FailedOne(); break;
                case StepOutcome.Skipped: s.Stats.SkippedOne(); break;
            }
            if (Run.Timeline.Enabled)
                Run.Timeline.Add(new TimelineEntry(s.Index, outcome.Worker, e.Root.Id, e.Key, startMs, startMs + step.Ms, (byte)step.Outcome));
            startMs += step.Ms;
        }
    }
}
