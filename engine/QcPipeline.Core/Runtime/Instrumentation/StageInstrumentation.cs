using System.Diagnostics;
using QcPipeline.Core.Graph;

namespace QcPipeline.Core.Runtime;

/// <summary>How one item's visit to one stage ended.</summary>
public enum StepOutcome : byte
{
    /// <summary>The stage produced its result.</summary>
    Ok,
    /// <summary>The stage failed on the item.</summary>
    Failed,
    /// <summary>The stage skipped the item on purpose.</summary>
    Skipped,
    /// <summary>The run stopped or gave up before the item was done.</summary>
    Cancelled,
}

/// <summary>
/// Everything an item's visit to a stage leaves besides its result, in one place: the stage's counters, the
/// items and latency metrics, the timeline, and its span (or, for an unsampled item, a note kept in case the
/// item fails: failed items are always traced).
/// </summary>
internal sealed class StageInstrumentation(RunScope run, int index, GraphNode node, StageStats stats)
{
    private static readonly string[] OutcomeNames = ["ok", "failed", "skipped", "cancelled"];
    private readonly KeyValuePair<string, object?> _stageTag = new(PipelineTelemetry.StageTag, node.Name);

    public StageStats Stats => stats;

    /// <summary>The text of an outcome in spans and metrics.</summary>
    public static string Name(StepOutcome o) => OutcomeNames[(int)o];

    /// <summary>The item's span at this stage, or null when it is not traced.</summary>
    public Activity? StartSpan(Envelope e, ActivityContext parent, IEnumerable<ActivityLink>? links = null)
    {
        if (!run.TracesOn || !e.Root.Traced) return null;
        var a = PipelineTelemetry.Source.StartActivity(node.Name, ActivityKind.Internal, parent, null, links);
        if (a is null) return null;
        if (a.IsAllDataRequested)
        {
            a.SetTag(PipelineTelemetry.StageTag, node.Name);
            a.SetTag(PipelineTelemetry.StageTypeTag, node.Descriptor.Name);
            a.SetTag(PipelineTelemetry.ItemTag, e.Key);
            a.SetTag(PipelineTelemetry.RootTag, e.Root.Key);
            foreach (var tag in run.SpanTags) a.SetTag(tag.Key, tag.Value);
        }
        return a;
    }

    /// <summary>The parent of an item's span here: its fan-out's span, else its source item's.</summary>
    public ActivityContext ParentOf(Envelope e) =>
        e.Group?.ParentSpan is { TraceId: var t } p && t != default ? p : RootParent(e.Root);

    /// <summary>The span a source item's own spans go beneath outside fan-outs: its caller's for a fed item, the
    /// span it was sent from for an item run on behalf of another machine's run, else the job's.</summary>
    public ActivityContext RootParent(RootItem root) => root.Parent != default ? root.Parent : run.JobContext;

    /// <summary>Records one item's time at this stage: stats, metrics, timeline, and its span's end.</summary>
    public void Finish(Envelope e, Activity? span, long t0, int worker, int attempts, StepOutcome outcome, string? error)
    {
        var t1 = Stopwatch.GetTimestamp();
        stats.Record(t1 - t0);
        if (run.CollectsSteps)
            lock (e.Root) (e.Root.Steps ??= []).Add(new SegmentStep(node.Name, Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, outcome, attempts));
        if (PipelineTelemetry.Items.Enabled)
            PipelineTelemetry.Items.Add(1, _stageTag, new KeyValuePair<string, object?>(PipelineTelemetry.OutcomeTag, Name(outcome)));
        if (PipelineTelemetry.Latency.Enabled)
            PipelineTelemetry.Latency.Record(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, _stageTag);
        if (run.Timeline.Enabled)
            run.Timeline.Add(new TimelineEntry(index, worker, e.Root.Id, e.Key, run.ElapsedMs(t0), run.ElapsedMs(t1), (byte)outcome));
        if (span is not null)
        {
            span.SetTag(PipelineTelemetry.WorkerTag, worker);
            span.SetTag(PipelineTelemetry.AttemptTag, attempts);
            span.SetTag(PipelineTelemetry.OutcomeTag, Name(outcome));
            if (error is not null)
            {
                span.SetStatus(ActivityStatusCode.Error, error);
                span.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection { ["exception.message"] = error }));
            }
            e.Span = span.Context;
            span.Dispose();
        }
        else if (run.TracesOn && !e.Root.Traced && PipelineTelemetry.Source.HasListeners())
        {
            var now = DateTimeOffset.UtcNow;
            var start = now - Stopwatch.GetElapsedTime(t0, t1);
            lock (e.Root)
                (e.Root.Deferred ??= []).Add(new DeferredSpan(node.Name, node.Descriptor.Name, e.Key, worker, attempts, start, now, outcome, error, ParentOf(e)));
        }
    }

    /// <summary>A span around a sink's flush.</summary>
    public Activity? StartFlushSpan()
    {
        if (!run.TracesOn) return null;
        var span = PipelineTelemetry.Source.StartActivity(node.Name + " flush", ActivityKind.Internal, run.JobContext);
        span?.SetTag(PipelineTelemetry.StageTag, node.Name);
        return span;
    }

    /// <summary>An item ended: if it failed, the spans kept back because it was not sampled are emitted now; else dropped.</summary>
    public static void Finished(RootItem root)
    {
        if (root.State == ItemState.Failed) EmitDeferred(root);
        root.Deferred = null;
    }

    private static void EmitDeferred(RootItem root)
    {
        if (root.Deferred is not { } spans) return;
        foreach (var s in spans)
        {
            using var a = PipelineTelemetry.Source.StartActivity(s.Stage, ActivityKind.Internal, s.Parent, null, null, s.Start);
            if (a is null) return;
            a.SetTag(PipelineTelemetry.StageTag, s.Stage);
            a.SetTag(PipelineTelemetry.StageTypeTag, s.StageType);
            a.SetTag(PipelineTelemetry.ItemTag, s.Key);
            a.SetTag(PipelineTelemetry.RootTag, root.Key);
            a.SetTag(PipelineTelemetry.WorkerTag, s.Worker);
            a.SetTag(PipelineTelemetry.AttemptTag, s.Attempts);
            a.SetTag(PipelineTelemetry.OutcomeTag, Name(s.Outcome));
            if (s.Error is not null)
            {
                a.SetStatus(ActivityStatusCode.Error, s.Error);
                a.AddEvent(new ActivityEvent("exception", s.End, new ActivityTagsCollection { ["exception.message"] = s.Error }));
            }
            a.SetEndTime(s.End.UtcDateTime);
        }
    }
}

/// <summary>A span of an item that was not sampled, kept in case the item fails (failed items are always traced).</summary>
internal sealed record DeferredSpan(string Stage, string StageType, string Key, int Worker, int Attempts,
    DateTimeOffset Start, DateTimeOffset End, StepOutcome Outcome, string? Error, ActivityContext Parent);
