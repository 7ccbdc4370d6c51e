using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>Collects the children of each fan-out group by key and combines them when all are in.</summary>
internal sealed class JoinNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx)
    : NodeRuntime(run, node, index, stats, stage, ctx)
{
    /// <summary>Spans of the children linked from the joined item's span, at most (a span with thousands of links helps nobody).</summary>
    public const int MaxSpanLinks = 128;

    private readonly Dictionary<GroupFrame, List<Envelope>> _pending = new(ReferenceEqualityComparer.Instance);

    protected override async Task HandleAsync(Envelope e)
    {
        // One worker: the dictionary needs no lock, and combining is cheap.
        if (e.Group is not { } group) { await PassOnAsync(e).ConfigureAwait(false); return; }
        Stats.Seen();
        if (!_pending.TryGetValue(group, out var bucket)) _pending[group] = bucket = new List<Envelope>(group.Size);
        bucket.Add(e);
        if (bucket.Count < group.Size) return;
        _pending.Remove(group);
        bucket.Sort((a, b) => a.GroupIndex.CompareTo(b.GroupIndex));
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var links = bucket.Where(b => b.Span != default).Take(MaxSpanLinks).Select(b => new ActivityLink(b.Span));
        var joined = new Envelope(e.Root, group.ParentKey, null, group.Outer) { Span = group.ParentSpan };
        var span = Trace.StartSpan(joined, group.Outer?.ParentSpan is { } p && p != default ? p : Trace.RootParent(e.Root), links);
        span?.SetTag("qc.join.size", group.Size);
        Run.Ledger.Add(e.Root, 1 - group.Size);
        var outcome = StepOutcome.Ok;
        string? error = null;
        try
        {
            var result = Invoker.Combine(group.ParentKey, bucket, new ItemContext(Context, group.ParentKey, 1, 0, span, Run.Abandoned));
            joined.Value = result;
            joined.Key = result.Key;
            Stats.Succeeded();
        }
        catch (Exception ex)
        {
            var failure = RecordFailure(joined, ex, 1);
            joined.Fail(failure);
            outcome = StepOutcome.Failed; error = failure.Reason;
        }
        // A child that failed made its source item fail already; the joined item carries on (e.g. verdict "error").
        Trace.Finish(joined, span, t0, 0, 1, outcome, error);
        await EmitAsync(joined).ConfigureAwait(false);
    }

    protected override async Task AfterBlockAsync(Task blockDone)
    {
        await blockDone.ConfigureAwait(false);
        foreach (var (group, bucket) in _pending)
        {
            foreach (var e in bucket)
            {
                if (!Run.Stopping.IsCancellationRequested)
                    Run.Ledger.RecordFailure(e.Root, new Failure(Name, group.ParentKey, $"only {bucket.Count} of {group.Size} parts arrived", 0));
                Run.Ledger.Consumed(e.Root, cancelled: Run.Stopping.IsCancellationRequested);
            }
        }
        _pending.Clear();
    }
}
